import Testing
@testable import RelayCore

@Suite struct SessionCensusTests {
    @Test func phasesFollowTheHandover() {
        var h = EngineHarness()
        let c = h.connect(1)
        _ = h.hello(c)
        #expect(h.s1.phase == .bot)
        let create = h.requestAgent(h.connect(2))  // a second session, asking for an agent
        var census = h.engine.census
        #expect(census[.bot] == 1 && census[.requested] == 1)
        #expect(census.pendingGatewayCalls == 1)  // the create call in flight
        _ = h.complete(create, status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        _ = h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        census = h.engine.census
        #expect(census[.queued] == 1 && census.pendingGatewayCalls == 0)
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
        #expect(h.engine.census[.withAgent] == 1)
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"])
        census = h.engine.census
        #expect(census[.bot] == 2 && census[.withAgent] == 0)
    }

    @Test func anEndedChatIsEnded() {
        var h = EngineHarness()
        let c = h.connect(1)
        _ = h.hello(c)
        _ = h.frame(c, ["type": "end"])
        #expect(h.s1.phase == .ended)
        #expect(h.engine.census[.ended] == 1)
    }

    @Test func labels() {
        #expect(SessionPhase.allCases.map(\.label) == ["bot", "requested", "queued", "with_agent", "ended"])
    }
}
