import Testing
@testable import RelayCore

@Suite struct BotTests {
    @Test func botTurnDefaultsToNoHandover() {
        #expect(BotTurn(replies: ["a"]).handover == nil)
        #expect(BotTurn(replies: [], handover: HandoverRequest(queueID: "q")).handover?.queueID == "q")
    }

    @Test func defaultConfigurationIsTheRuleBot() {
        #expect(RelayCoreConfig().bot == .rules(.default))
    }
}
