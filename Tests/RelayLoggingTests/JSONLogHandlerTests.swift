import Foundation
import Logging
import Synchronization
import Testing
@testable import RelayLogging

/// Lines a handler wrote, collected from any thread.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

@Suite struct JSONLogHandlerTests {
    private func logger(level: Logger.Level = .info, provider: Logger.MetadataProvider? = nil) -> (Logger, CapturedLines) {
        let captured = CapturedLines()
        var logger = Logger(label: "test") { label in
            JSONLogHandler(label: label, metadataProvider: provider, sink: { captured.append($0) }, clock: { 1_000 })
        }
        logger.logLevel = level
        return (logger, captured)
    }

    private func parse(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func oneParsableLinePerCall() throws {
        let (logger, captured) = logger()
        logger.info("session started", metadata: ["session": "s1"])
        logger.warning("handover failed", metadata: ["session": "s1", "conversation": "c1"])
        #expect(captured.all.count == 2)
        let second = try parse(captured.all[1])
        #expect(second["ts"] as? String == "1970-01-01T00:00:01.000Z")
        #expect(second["level"] as? String == "warning" && second["logger"] as? String == "test")
        #expect(second["session"] as? String == "s1" && second["conversation"] as? String == "c1")
    }

    @Test func levelsBelowTheThresholdAreDropped() {
        let (logger, captured) = logger(level: .notice)
        logger.debug("d")
        logger.info("i")
        logger.notice("n")
        logger.critical("c")
        #expect(captured.all.count == 2)
    }

    @Test func callMetadataWinsOverHandlerAndProviderMetadata() throws {
        let provider = Logger.MetadataProvider { ["source": "provider", "trace": "t1"] }
        var (logger, captured) = logger(provider: provider)
        logger[metadataKey: "source"] = "handler"
        logger[metadataKey: "instance"] = "relay-a"
        logger.info("m", metadata: ["trace": "call"])
        let line = try parse(captured.all[0])
        #expect(line["source"] as? String == "provider")
        #expect(line["trace"] as? String == "call")
        #expect(line["instance"] as? String == "relay-a")
    }
}
