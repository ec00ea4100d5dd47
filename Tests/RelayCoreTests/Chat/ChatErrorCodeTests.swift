import Foundation
import Testing
@testable import RelayCore

@Suite struct ChatErrorCodeTests {
    @Test func rawValuesAreTheProtocolNames() {
        #expect(ChatErrorCode.all.map(\.rawValue) == [
            "bad_json", "bad_frame", "unknown_type", "hello_required", "already_started", "unknown_session",
            "bad_resume_token", "no_handover", "handover_in_progress", "session_ended", "server_full", "rate_limited",
        ])
        #expect(Set(ChatErrorCode.all).count == ChatErrorCode.all.count)
        #expect(ChatErrorCode.badFrame.description == "bad_frame")
    }

    /// docs/PROTOCOL.md lists every code in its error table, and nothing else.
    @Test func everyCodeIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let table = try #require(text.components(separatedBy: "### Error codes").last?.components(separatedBy: "###").first)
        let documented = Set(table.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        #expect(documented == Set(ChatErrorCode.all.map(\.rawValue)))
    }

    @Test func protocolErrorCarriesRef() {
        let error = ChatProtocolError(.badFrame, "missing field 'text'", ref: "m1")
        #expect(error.code == .badFrame)
        #expect(error.message == "missing field 'text'")
        #expect(error.ref == "m1")
        #expect(ChatProtocolError(.badJSON, "x").ref == nil)
    }

    @Test func closeCodes() {
        #expect([CloseCode.normal, CloseCode.goingAway, CloseCode.invalidPayload, CloseCode.messageTooBig, CloseCode.internalError]
                == [1000, 1001, 1007, 1009, 1011])
    }
}
