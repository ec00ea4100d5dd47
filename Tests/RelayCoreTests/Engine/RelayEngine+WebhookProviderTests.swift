import Testing
@testable import RelayCore

@Suite struct RelayEngineWebhookProviderTests {
    @Test func theConversationsSessionNamesItsProvider() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        #expect(h.engine.providerName(forConversation: "X") == nil)
        h.activeHandover(c1)
        #expect(h.engine.providerName(forConversation: "X") == "default")
        #expect(h.engine.providerName(forConversation: "other") == nil)
    }
}
