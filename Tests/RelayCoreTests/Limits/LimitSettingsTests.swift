import RelayJSON
import Testing
@testable import RelayCore

@Suite struct LimitSettingsTests {
    private func load(_ limits: JSONValue) throws(ConfigError) -> RelaySettings {
        try RelaySettings.load(file: ["limits": limits], overrides: [:])
    }

    @Test func defaultsAreDocumented() throws {
        let s = try RelaySettings.load(file: nil, overrides: [:])
        #expect(s.limits == ConnectionLimits())
        #expect(s.limits.messagesPerSecond == 20 && s.limits.messageBurst == 40)
        #expect(s.limits.maxConnectionsPerAddress == 256)
        #expect(s.limits.pingAfterMs == 60_000 && s.limits.idleTimeoutMs == 150_000)
        #expect(s.core.limits.maxSessions == 100_000)
    }

    @Test func everyLimitHasAKey() throws {
        let s = try load([
            "maxTextLength": 100, "maxSessions": 10, "maxMessageBytes": 4096, "maxRequestBodyBytes": 8192,
            "maxQueuedBytesPerConnection": 131_072, "messagesPerSecond": 5, "messageBurst": 7, "maxConnectionsPerAddress": 0,
            "pingAfterSeconds": 2, "idleTimeoutSeconds": 5,
        ])
        #expect(s.core.limits.maxTextLength == 100)
        #expect(s.core.limits.maxSessions == 10)
        var expected = ConnectionLimits()
        expected.maxMessageBytes = 4096
        expected.maxRequestBodyBytes = 8192
        expected.maxQueuedBytesPerConnection = 131_072
        expected.messagesPerSecond = 5
        expected.messageBurst = 7
        expected.maxConnectionsPerAddress = 0
        expected.pingAfterMs = 2000
        expected.idleTimeoutMs = 5000
        #expect(s.limits == expected)
        #expect(RelaySettings.limitKeys.count == 10)
    }

    @Test func theTopLevelMaxMessageBytesStillWorks() throws {
        let s = try RelaySettings.load(file: ["maxMessageBytes": 2048], overrides: [:])
        #expect(s.limits.maxMessageBytes == 2048)
    }

    @Test func badValuesNameTheKey() {
        #expect(throws: ConfigError(key: "limits.messagesPerSecond", problem: "must be between 0 and 100000, got -1")) {
            try load(["messagesPerSecond": -1])
        }
        #expect(throws: ConfigError(key: "limits.idleTimeoutSeconds",
                                    problem: "must be longer than limits.pingAfterSeconds (60), so a live peer can answer the ping")) {
            try load(["idleTimeoutSeconds": 30])
        }
        #expect(throws: ConfigError.self) { try load(["maxSesions": 5]) }
    }
}
