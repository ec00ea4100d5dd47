import Foundation
import Logging
import RelayJSON
import Testing
@testable import RelayLogging

@Suite struct JSONLogLineTests {
    private func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func fixedFieldsFirstThenSortedMetadata() {
        let line = JSONLogLine.make(timestampMs: 1_764_112_108_123, level: .info, message: "session started", label: "handover-relay",
                                    metadata: ["session": "s1", "conversation": "c9"])
        #expect(line == #"{"ts":"2025-11-25T23:08:28.123Z","level":"info","msg":"session started","logger":"handover-relay","conversation":"c9","session":"s1"}"#)
    }

    @Test func escapingKeepsOneLineAndValidJSON() throws {
        let message = "quote \" backslash \\ newline \n cr \r tab \t bell \u{07} del \u{7F} ls \u{2028} é 🙂"
        let line = JSONLogLine.make(timestampMs: 0, level: .error, message: message, label: "l", metadata: ["k\"ey": "v\nv"])
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{2028}"))
        let parsed = try object(line)
        #expect(parsed["msg"] as? String == message)
        #expect(parsed["k\"ey"] as? String == "v\nv")
    }

    @Test func nestedMetadataStaysStructured() throws {
        let line = JSONLogLine.make(timestampMs: 0, level: .debug, message: "m", label: "l",
                                    metadata: ["list": ["a", "b"], "dict": ["x": "1", "y": ["z"]], "count": .stringConvertible(42)])
        let parsed = try object(line)
        #expect(parsed["list"] as? [String] == ["a", "b"])
        let dict = try #require(parsed["dict"] as? [String: Any])
        #expect(dict["x"] as? String == "1" && dict["y"] as? [String] == ["z"])
        #expect(parsed["count"] as? String == "42")
    }

    @Test func metadataCannotOverwriteTheFixedFields() throws {
        let parsed = try object(JSONLogLine.make(timestampMs: 0, level: .info, message: "real", label: "l",
                                                 metadata: ["msg": "fake", "level": "critical"]))
        #expect(parsed["msg"] as? String == "real" && parsed["level"] as? String == "info")
        #expect(parsed["meta.msg"] as? String == "fake" && parsed["meta.level"] as? String == "critical")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(4_102_444_799_999), "2099-12-31T23:59:59.999Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
    ])
    func iso8601(_ ms: Int64, _ expected: String) {
        #expect(Timestamp.iso8601(epochMs: ms) == expected)
    }

    @Test func iso8601AgreesWithFoundationOverManyDays() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for step in stride(from: Int64(0), to: 200 * 365 * 86_400_000, by: 7_777_777_777) {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(step) / 1000))
            #expect(Timestamp.iso8601(epochMs: step) == expected)
        }
    }
}
