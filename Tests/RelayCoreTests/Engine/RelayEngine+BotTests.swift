import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

/// The engine with an external HTTP bot.
@Suite struct RelayEngineBotTests {
    let botSettings = ExternalBotSettings(url: HTTPURL("http://bot.test/turn")!, headers: ["authorization": "Bearer b"])

    private func harness() -> EngineHarness {
        EngineHarness(config: testConfig(bot: .external(botSettings)))
    }

    @Test func eachTurnIsAnHTTPCall() throws {
        var h = harness()
        let c1 = h.connect(1)
        let hello = h.hello(c1)
        #expect(hello.withoutLogs == [
            .send(c1, #"{"lastSeq":0,"mode":"bot","resumeToken":"secret-2","resumed":false,"sessionId":"s1","type":"welcome"}"#),
            .call(CallID(1), ExternalBot.request(botSettings, sessionID: SessionID("s1"), user: UserInfo(name: "Ada"), event: .sessionStarted(UserInfo(name: "Ada")))),
        ])
        #expect(h.complete(CallID(1), status: 200, body: ["replies": ["Hello from the bot", ["text": "How can I help?"]]]).withoutLogs == [
            .send(c1, messageFrame(1, .bot, "Hello from the bot")),
            .send(c1, messageFrame(2, .bot, "How can I help?")),
        ])

        let said = h.say(c1, "m1", "hi")
        #expect(said.withoutLogs == [
            .send(c1, #"{"id":"m1","seq":3,"type":"ack"}"#),
            .send(c1, messageFrame(3, .user, "hi", id: "m1")),
            .call(CallID(2), ExternalBot.request(botSettings, sessionID: SessionID("s1"), user: UserInfo(name: "Ada"), event: .userMessage("hi"))),
        ])
        #expect(h.complete(CallID(2), status: 204).withoutLogs == [])  // the bot chose silence
    }

    @Test func botAsksForAHandover() throws {
        var h = harness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.complete(CallID(1), status: 200, body: ["replies": []])
        _ = h.say(c1, "m1", "I need help with billing")
        let effects = h.complete(CallID(2), status: 200, body: ["replies": ["Let me get someone"], "handover": ["queueId": "billing"]])
        #expect(effects.withoutLogs.count == 3)
        #expect(effects.withoutLogs[0] == .send(c1, messageFrame(2, .bot, "Let me get someone")))
        #expect(effects.withoutLogs[1] == .send(c1, handoverFrame(3, .requested(queueID: "billing"))))
        let create = try #require(effects.calls.first)
        #expect(create.0 == CallID(3))
        #expect(create.1.url.description == "\(gatewayBase)/conversations")
        #expect(create.1.jsonBody?["assignment"] == ["type": "queue", "id": "billing"])
    }

    @Test func botIsToldHowTheHandoverEnded() throws {
        var h = harness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.complete(CallID(1), status: 200, body: ["handover": [:]])
        // Call 2 is the create; conversation X.
        _ = h.complete(CallID(2), status: 202, body: ["conversationId": "X"])
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
        let effects = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"]).1
        let calls = effects.calls
        #expect(calls.map(\.0) == [CallID(3), CallID(4)])
        #expect(calls[0].1 == ExternalBot.request(botSettings, sessionID: SessionID("s1"), user: UserInfo(name: "Ada"),
                                                  event: .handoverFinished(.ended(by: .agent))))
        #expect(calls[1].1 == gateway.removeUser(conversationID: "X"))
    }

    @Test func botFailureIsASystemMessage() {
        var h = harness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        for (call, result) in [(CallID(1), OutboundResult.transportError("timeout"))] {
            let effects = h.complete(call, result)
            #expect(effects.withoutLogs == [.send(c1, messageFrame(1, .system, "The assistant is unavailable right now. You can ask for a person at any time."))])
            #expect(effects.logs.first?.message == "external bot failed: unreachable: timeout")
        }
        _ = h.say(c1, "m1", "hello")
        let effects = h.complete(CallID(2), status: 500, body: ["error": "x"])
        #expect(effects.logs.first?.message == "external bot failed: answered 500 without a usable reply")
        #expect(effects.sent.map { $0.1["from"] } == ["system"])
    }

    @Test func lateBotRepliesDuringAHandoverAreDropped() {
        var h = harness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.complete(CallID(1), status: 200, body: ["replies": ["hi"]])
        _ = h.say(c1, "m1", "a question")                      // bot call 2 in flight
        _ = h.frame(c1, #"{"type":"request_handover"}"#)         // create call 3
        #expect(h.complete(CallID(2), status: 200, body: ["replies": ["late answer"]]).withoutLogs == [])
        #expect(!h.s1.log.messages.contains { $0.text == "late answer" })
    }

    @Test func noBotCallDuringAHandover() {
        var h = harness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.frame(c1, #"{"type":"request_handover"}"#)   // create is call 2
        _ = h.complete(CallID(2), status: 202, body: ["conversationId": "X"])
        let effects = h.say(c1, "m1", "to the agent")
        #expect(effects.calls.map(\.1) == [gateway.sendMessage(conversationID: "X", text: "to the agent")])
    }
}
