import Testing
@testable import RelayCore

@Suite struct CallContextTests {
    @Test func aCreateCallIsLabelledAndHasNoConversationYet() {
        var h = EngineHarness()
        let create = h.requestAgent(h.connect(1))
        let context = h.engine.callContext(create)
        #expect(context?.operation == "create_conversation")
        #expect(context?.session == SessionID("s1"))
        #expect(context?.conversation == nil)
        #expect(context?.isGateway == true)
        #expect(context?.logMetadata == ["session": "s1", "operation": "create_conversation"])
    }

    @Test func aMessageCallCarriesTheConversation() {
        var h = EngineHarness()
        let c = h.connect(1)
        h.activeHandover(c)
        let effects = h.say(c, "m2", "hello agent")
        guard case .call(let id, _)? = effects.first(where: { if case .call = $0 { true } else { false } }) else {
            Issue.record("no call in \(effects)")
            return
        }
        #expect(h.engine.callContext(id) == CallContext(operation: "send_message", session: SessionID("s1"), conversation: "X"))
    }

    @Test func aCompletedCallHasNoContext() {
        var h = EngineHarness()
        let create = h.requestAgent(h.connect(1))
        _ = h.complete(create, status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        #expect(h.engine.callContext(create) == nil)
        #expect(h.engine.callContext(CallID(999)) == nil)
    }

    @Test func operationLabels() {
        #expect(GatewayOperation.typing.metricLabel == "typing")
        #expect(GatewayOperation.sendMessage(text: "x", seq: 1).metricLabel == "send_message")
        #expect(GatewayOperation.removeUser(conversationID: "X", provider: "p").metricLabel == "remove_user")
    }
}
