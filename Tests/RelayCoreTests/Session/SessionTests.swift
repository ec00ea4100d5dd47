import Testing
@testable import RelayCore

@Suite struct SessionTests {
    @Test func newSessionIsWithTheBot() {
        let s = Session(id: SessionID("s1"), resumeToken: "t", user: UserInfo(name: "Ada"))
        #expect(!s.isWithHuman)
        #expect(!s.ended)
        #expect(s.connections.isEmpty)
        #expect(s.log.lastSeq == 0)
        #expect(s.outbox.isIdle)
    }

    @Test func withHumanUntilTheHandoverIsOver() {
        var s = Session(id: SessionID("s1"), resumeToken: "t", user: UserInfo())
        var handover = Handover(settings: testHandover)
        s.handover = handover
        #expect(s.isWithHuman)
        _ = handover.cancel()
        s.handover = handover
        #expect(!s.isWithHuman)
    }
}
