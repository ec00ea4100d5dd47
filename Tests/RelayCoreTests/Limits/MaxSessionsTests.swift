import RelayJSON
import Testing
@testable import RelayCore

@Suite struct MaxSessionsTests {
    private static let oneSession: RelayCoreConfig = {
        var config = testConfig()
        config.limits.maxSessions = 1
        return config
    }()

    @Test func aNewSessionBeyondTheLimitIsRefusedAndTheConnectionClosedWith1013() {
        var h = EngineHarness(config: Self.oneSession)
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let c2 = h.connect(2)
        let effects = h.hello(c2, name: "Bob")
        #expect(effects.withoutLogs == [
            .send(c2, errorFrame(.serverFull, "the relay is at its session limit; try again later")),
            .close(c2, code: 1013, reason: "server full"),
        ])
        #expect(effects.logs.map(\.level) == [.warning])
        #expect(h.engine.sessions.count == 1)
        #expect(h.engine.sessionsRefused == 1)
    }

    @Test func resumingAnExistingSessionIsStillAllowedAtTheLimit() {
        var h = EngineHarness(config: Self.oneSession)
        let c1 = h.connect(1)
        _ = h.hello(c1)
        h.engine.chatDisconnected(c1)
        let c2 = h.connect(2)
        let effects = h.frame(c2, ["type": "hello", "sessionId": "s1", "resumeToken": "secret-2", "lastSeq": 1])
        #expect(effects.frames(to: c2).first?["type"] == "welcome")
        #expect(h.engine.sessionsRefused == 0)
    }
}
