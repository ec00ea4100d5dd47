import HTTPModel
import RelayCrypto
import RelayJSON
import Testing
@testable import RelayCore

/// The handover side of the engine: 8x8 calls, webhooks, retries, cancel. No sockets.
@Suite struct RelayEngineHandoverTests {
    // MARK: the happy path, step by step

    @Test func fullHandoverScript() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)

        // "I want an agent": bot reply, handover requested, POST /conversations.
        var effects = h.say(c1, "m1", "I want an agent")
        let calls = effects.calls
        try #require(calls.count == 1)
        let (createID, create) = calls[0]
        #expect(createID == CallID(1))
        #expect(effects.withoutLogs == [
            .send(c1, #"{"id":"m1","seq":2,"type":"ack"}"#),
            .send(c1, messageFrame(2, .user, "I want an agent", id: "m1")),
            .send(c1, messageFrame(3, .bot, script.handoverReply)),
            .send(c1, #"{"queueId":"q","seq":4,"state":"requested","ts":1700000000000,"type":"handover"}"#),
            .call(createID, create),
        ])
        #expect(create.method == "POST")
        #expect(create.url.description == "\(gatewayBase)/conversations")
        #expect(create.headers["x-api-key"] == "k")
        let body = try #require(create.jsonBody)
        #expect(body["channelId"] == "c")
        #expect(body["assignment"] == ["type": "queue", "id": "q"])
        #expect(body["history"] == ["messages": [
            ["authorType": "bot", "text": .string(greetingForAda)],
            ["authorType": "user", "text": "I want an agent"],
            ["authorType": "bot", "text": .string(script.handoverReply)],
        ]])
        #expect(body["user"]?["name"] == "Ada")
        #expect(body["user"]?["userId"] == "s1")
        #expect(body["user"]?["language"] == "en")
        let props = try #require(body["user"]?["additionalProperties"]?.arrayValue)
        #expect(props.count == 2)
        #expect(props[0]["key"] == "copilotUrl")
        #expect(props[1] == ["key": "relaySessionId", "value": "s1"])
        #expect(h.s1.isWithHuman)
        #expect(h.s1.handover?.state == .requested(queueID: "q"))

        // 8x8 accepts: nothing to tell the user yet.
        effects = h.complete(createID, status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        #expect(effects.withoutLogs == [])
        #expect(h.s1.handover?.conversationID == "X")

        // QUEUED → handover queued.
        var (response, hooked) = h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        #expect(response.status == 200)
        #expect(response.jsonBody == ["status": "accepted"])
        #expect(hooked.withoutLogs == [.send(c1, #"{"queueId":"q","queueName":"Support","seq":5,"state":"queued","ts":1700000000000,"type":"handover"}"#)])

        // MEMBERS_CHANGED joined → active.
        (response, hooked) = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
        #expect(hooked.withoutLogs == [.send(c1, #"{"agentId":"ag1","seq":6,"state":"active","ts":1700000000000,"type":"handover"}"#)])

        // The same agent announced again by CONVERSATION_UPDATE: no second state.
        (response, hooked) = h.webhook("CONVERSATION_UPDATE", data: ["state": "active", "assignment": ["type": "agent", "id": "ag1"]])
        #expect(response.status == 200)
        #expect(hooked.withoutLogs == [])

        // A late QUEUED changes nothing.
        (_, hooked) = h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        #expect(hooked.withoutLogs == [])

        // The user writes: relayed to 8x8, the bot stays silent.
        effects = h.say(c1, "m2", "My order is late")
        #expect(effects.withoutLogs == [
            .send(c1, #"{"id":"m2","seq":7,"type":"ack"}"#),
            .send(c1, messageFrame(7, .user, "My order is late", id: "m2")),
            .call(CallID(2), gateway.sendMessage(conversationID: "X", text: "My order is late")),
        ])
        #expect(effects.calls.first?.1.url.description == "\(gatewayBase)/conversations/X/messages")
        #expect(String(decoding: effects.calls.first?.1.body ?? [], as: UTF8.self) == #"{"authorType":"user","text":"My order is late"}"#)
        #expect(h.complete(CallID(2), status: 202).withoutLogs == [])

        // 8x8 echoes the user's message: ignored.
        (_, hooked) = h.webhook("MESSAGE", data: ["isEcho": true, "sender": ["id": "s1", "type": "user"], "text": "My order is late"])
        #expect(hooked.withoutLogs == [])

        // The agent writes.
        (_, hooked) = h.webhook("MESSAGE", data: ["isEcho": false, "sender": ["id": "ag1", "type": "agent"], "text": "Hi, I'm Bob. Let me check."])
        #expect(hooked.withoutLogs == [.send(c1, #"{"agentId":"ag1","from":"agent","seq":8,"text":"Hi, I'm Bob. Let me check.","ts":1700000000000,"type":"message"}"#)])

        // The agent types, then stops: ephemeral frames, not stored.
        (_, hooked) = h.webhook("ACTIVITY", data: ["name": "typing", "value": ["users": [["id": "ag1", "type": "agent"]]]])
        #expect(hooked.withoutLogs == [.send(c1, #"{"active":true,"from":"agent","type":"typing"}"#)])
        (_, hooked) = h.webhook("ACTIVITY", data: ["name": "typing", "value": ["users": []]])
        #expect(hooked.withoutLogs == [.send(c1, #"{"active":false,"from":"agent","type":"typing"}"#)])
        #expect(h.s1.log.lastSeq == 8)

        // The agent leaves: ended, the bot is back, 8x8 is told the user left.
        (_, hooked) = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"])
        #expect(hooked.withoutLogs == [
            .send(c1, #"{"by":"agent","seq":9,"state":"ended","ts":1700000000000,"type":"handover"}"#),
            .send(c1, messageFrame(10, .bot, script.afterAgent)),
            .call(CallID(3), gateway.removeUser(conversationID: "X")),
        ])
        #expect(hooked.calls.first?.1.method == "PATCH")
        #expect(hooked.calls.first?.1.url.description == "\(gatewayBase)/conversations/X/participants/user")
        #expect(h.complete(CallID(3), status: 204).withoutLogs == [])
        #expect(!h.s1.isWithHuman)

        // Back with the bot: messages are answered again, nothing goes to 8x8.
        effects = h.say(c1, "m3", "thanks, and your opening hours?")
        #expect(effects.calls.isEmpty)
        #expect(effects.frames(to: c1).last?["text"] == .string(script.faqs[0].answer))

        // Events for the finished conversation are accepted and ignored.
        (response, hooked) = h.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "late"])
        #expect(response.jsonBody == ["status": "accepted"])
        #expect(hooked.withoutLogs == [])
    }

    @Test func copilotURLIsASignedLinkForThisSession() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let effects = h.hello(c1) + h.say(c1, "m1", "agent")
        let body = try #require(effects.calls.first?.1.jsonBody)
        let url = try #require(body["user"]?["additionalProperties"]?.arrayValue?.first?["value"]?.stringValue)
        let prefix = "http://localhost:8080/copilot/?sessionId=s1&userId=s1&URLToken="
        #expect(url.hasPrefix(prefix))
        let token = String(url.dropFirst(prefix.count))
        let expires = t0 / 1000 + 8 * 3600
        #expect(token == CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: expires, secret: Array("dev-secret".utf8)))
        #expect(throws: Never.self) {
            try CopilotToken.verify(token, sessionID: SessionID("s1"), role: "agent", nowSeconds: t0 / 1000, secret: Array("dev-secret".utf8))
        }
    }

    @Test func userFieldsFromHelloReach8x8() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.frame(c1, #"{"type":"hello","user":{"name":"Ada","email":"ada@example.com","language":"de","userId":"crm 7"}}"#)
        let effects = h.frame(c1, #"{"type":"request_handover"}"#)
        let user = try #require(effects.calls.first?.1.jsonBody?["user"])
        #expect(user["userId"] == "crm 7")
        #expect(user["email"] == "ada@example.com")
        #expect(user["language"] == "de")
        #expect(user["additionalProperties"]?.arrayValue?.first?["value"]?.stringValue?.contains("&userId=crm%207&") == true)
    }

    @Test func requestHandoverFrame() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let effects = h.frame(c1, #"{"type":"request_handover"}"#)
        #expect(effects.withoutLogs.count == 2)
        #expect(effects.withoutLogs.first == .send(c1, handoverFrame(2, .requested(queueID: "q"))))
        #expect(effects.calls.map(\.0) == [CallID(1)])
        // A second request while one is in progress is refused, by frame or by keyword.
        #expect(h.frame(c1, #"{"type":"request_handover"}"#) == [.send(c1, errorFrame(.handoverInProgress, "a handover is already in progress"))])
        #expect(h.say(c1, "m1", "agent!").calls.isEmpty)
    }

    // MARK: webhooks in general

    @Test func duplicateEventIDIsAnsweredAndChangesNothing() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let data: JSONValue = ["sender": ["id": "ag1", "type": "agent"], "text": "once"]
        let (first, firstEffects) = h.webhook("MESSAGE", data: data, eventID: "evt-dup")
        #expect(first.jsonBody == ["status": "accepted"])
        #expect(firstEffects.sent.count == 1)
        let before = h.s1
        let (again, againEffects) = h.webhook("MESSAGE", data: data, eventID: "evt-dup")
        #expect(again.status == 200)
        #expect(again.jsonBody == ["status": "duplicate"])
        #expect(againEffects.withoutLogs == [])
        #expect(h.s1 == before)
        // A different event id with the same content is a new event.
        #expect(h.webhook("MESSAGE", data: data, eventID: "evt-other").1.sent.count == 1)
    }

    @Test func eventsWithoutEventIDAreNotDeduplicated() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let request = webhookRequest("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "x"])
        #expect(h.engine.webhook(request, now: t0).1.sent.count == 1)
        #expect(h.engine.webhook(request, now: t0).1.sent.count == 1)
    }

    @Test func dedupeMemoryIsBounded() {
        var config = testConfig()
        config.webhookDedupeCapacity = 2
        var h = EngineHarness(config: config)
        _ = h.webhook("TRANSFER", conversation: "nobody", eventID: "e1")
        _ = h.webhook("TRANSFER", conversation: "nobody", eventID: "e2")
        #expect(h.webhook("TRANSFER", conversation: "nobody", eventID: "e1").0.jsonBody?["status"] == "duplicate")
        _ = h.webhook("TRANSFER", conversation: "nobody", eventID: "e3")
        #expect(h.webhook("TRANSFER", conversation: "nobody", eventID: "e1").0.jsonBody?["status"] == "ignored")
    }

    @Test func unknownConversationIsAcknowledgedAndIgnored() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let (response, effects) = h.webhook("MESSAGE", conversation: "someone-else", data: ["sender": ["type": "agent"], "text": "hi"])
        #expect(response.status == 200)
        #expect(response.jsonBody == ["status": "ignored", "reason": "unknown conversation"])
        #expect(effects.withoutLogs == [])
        #expect(effects.logs.first?.metadata == ["conversation": "someone-else"])
    }

    @Test func malformedWebhookIs400() {
        var h = EngineHarness()
        let request = HTTPRequest(method: "POST", path: "/webhooks/8x8", body: Array(#"{"conversationId":"X"}"#.utf8))
        let (response, effects) = h.engine.webhook(request, now: t0)
        #expect(response.status == 400)
        #expect(response.contentType == "application/problem+json")
        #expect(response.jsonBody == ["status": 400, "code": "bad_webhook", "message": "missing 'eventType'"])
        #expect(effects.withoutLogs == [])
        #expect(effects.logs.first?.level == .warning)

        for body in ["not json", #"{"eventType":"MESSAGE"}"#, #"{"eventType":"MEMBERS_CHANGED","conversationId":"X","data":{"change":"left"}}"#] {
            #expect(h.engine.webhook(HTTPRequest(method: "POST", path: "/webhooks/8x8", body: Array(body.utf8)), now: t0).0.status == 400)
        }
    }

    @Test func webhookVerifyIsAnswered() {
        var h = EngineHarness()
        let (response, effects) = h.webhook("WEB_HOOK_VERIFY", conversation: nil)
        #expect(response.status == 200)
        #expect(response.jsonBody == ["status": "verified"])
        #expect(effects == [])
    }

    @Test func webhooksBeforeTheConversationIDIsKnownAreIgnored() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.requestAgent(c1)
        let (response, effects) = h.webhook("QUEUED", data: ["queueId": "q"])
        #expect(response.jsonBody?["status"] == "ignored")
        #expect(effects.withoutLogs == [])
    }

    @Test func systemMessagesFrom8x8AreShown() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let effects = h.webhook("MESSAGE", data: ["sender": ["type": "system"], "text": "The agent is transferring you"]).1
        #expect(effects.withoutLogs == [.send(c1, messageFrame(7, .system, "The agent is transferring you"))])
    }

    @Test func transferThenNewAgent() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        #expect(h.webhook("TRANSFER").1.withoutLogs == [.send(c1, handoverFrame(7, .transferred))])
        #expect(h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"]).1.withoutLogs == [])
        #expect(h.webhook("QUEUED", data: ["queueId": "q2", "queueName": "Tier 2"]).1.withoutLogs
                == [.send(c1, handoverFrame(8, .queued(queueID: "q2", queueName: "Tier 2")))])
        #expect(h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag2"]).1.withoutLogs
                == [.send(c1, handoverFrame(9, .active(agentID: "ag2")))])
        #expect(h.s1.isWithHuman)
        #expect(h.say(c1, "m2", "hello again").calls.count == 1)
    }

    // MARK: user input during a handover

    @Test func messagesSentWhileCreatingAreQueuedAndSentInOrder() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        var effects = h.say(c1, "m2", "first") + h.say(c1, "m3", "second")
        #expect(effects.calls.isEmpty)
        #expect(effects.withoutLogs == [
            .send(c1, #"{"id":"m2","seq":5,"type":"ack"}"#),
            .send(c1, messageFrame(5, .user, "first", id: "m2")),
            .send(c1, #"{"id":"m3","seq":6,"type":"ack"}"#),
            .send(c1, messageFrame(6, .user, "second", id: "m3")),
        ])
        // The history sent with the create call was frozen before them.
        #expect(h.s1.outbox.queue.count == 3)

        effects = h.complete(create, status: 202, body: ["conversationId": "X"])
        #expect(effects.withoutLogs == [.call(CallID(2), gateway.sendMessage(conversationID: "X", text: "first"))])
        // One call at a time: "second" waits for "first".
        effects = h.complete(CallID(2), status: 202)
        #expect(effects.withoutLogs == [.call(CallID(3), gateway.sendMessage(conversationID: "X", text: "second"))])
        #expect(h.complete(CallID(3), status: 202).withoutLogs == [])
        #expect(h.s1.outbox.isIdle)
        #expect(h.s1.outbox.queue.isEmpty)
    }

    @Test func messagesWhileAnotherIsInFlightWaitTheirTurn() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        #expect(h.say(c1, "m2", "one").calls.map(\.0) == [CallID(2)])
        #expect(h.say(c1, "m3", "two").calls.isEmpty)
        #expect(h.complete(CallID(2), status: 202).calls.map { $0.1 } == [gateway.sendMessage(conversationID: "X", text: "two")])
    }

    @Test func duplicateMessageDuringAHandoverIsNotRelayedTwice() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        #expect(h.say(c1, "m2", "hello").calls.count == 1)
        #expect(h.say(c1, "m2", "hello") == [.send(c1, #"{"id":"m2","seq":7,"type":"ack"}"#)])
        #expect(h.complete(CallID(2), status: 202).calls.isEmpty)
    }

    @Test func userTypingIsForwardedAndThrottled() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        #expect(h.frame(c1, #"{"type":"typing","active":true}"#) == [.call(CallID(2), gateway.typing(conversationID: "X"))])
        #expect(h.complete(CallID(2), status: 204) == [])
        h.now += 2_999
        #expect(h.frame(c1, #"{"type":"typing","active":true}"#) == [])
        #expect(h.frame(c1, #"{"type":"typing","active":false}"#) == [])
        h.now += 1
        #expect(h.frame(c1, #"{"type":"typing","active":true}"#) == [.call(CallID(3), gateway.typing(conversationID: "X"))])
    }

    @Test func typingWhileCreatingIsSentAfterTheConversationExists() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        #expect(h.frame(c1, #"{"type":"typing","active":true}"#) == [])
        #expect(h.complete(create, status: 202, body: ["conversationId": "X"]).calls.map(\.1) == [gateway.typing(conversationID: "X")])
    }

    @Test func typingFailuresAreBestEffort() {
        var config = testConfig()
        config.retry = RetryPolicy(maxAttempts: 1)
        var h = EngineHarness(config: config)
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.frame(c1, #"{"type":"typing","active":true}"#)
        _ = h.say(c1, "m2", "after typing")
        let effects = h.complete(CallID(2), status: 500)
        // The handover survives; the next call goes out.
        #expect(effects.withoutLogs == [.call(CallID(3), gateway.sendMessage(conversationID: "X", text: "after typing"))])
        #expect(h.s1.handover?.state == .active(agentID: "ag1"))
    }

    // MARK: cancel

    @Test func cancelWhileQueued() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        _ = h.complete(create, status: 202, body: ["conversationId": "X"])
        _ = h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        let effects = h.frame(c1, #"{"type":"cancel_handover"}"#)
        #expect(effects.withoutLogs == [
            .send(c1, handoverFrame(6, .cancelled)),
            .send(c1, messageFrame(7, .bot, script.afterCancel)),
            .call(CallID(2), gateway.removeUser(conversationID: "X")),
        ])
        #expect(!h.s1.isWithHuman)
        #expect(h.complete(CallID(2), status: 204) == [])
        #expect(h.frame(c1, #"{"type":"cancel_handover"}"#) == [.send(c1, errorFrame(.noHandover, "there is no handover to cancel"))])
        // 8x8 confirming the user left changes nothing now.
        #expect(h.webhook("MEMBERS_CHANGED", data: ["memberType": "user", "change": "left"]).1.withoutLogs == [])
    }

    @Test func cancelWhileTheCreateCallIsInFlightRemovesTheUserOnceItLands() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        _ = h.say(c1, "m2", "queued message")
        let effects = h.frame(c1, #"{"type":"cancel_handover"}"#)
        #expect(effects.withoutLogs == [
            .send(c1, handoverFrame(6, .cancelled)),
            .send(c1, messageFrame(7, .bot, script.afterCancel)),
        ])
        // The conversation gets created after all: leave it at once, exactly once; the queued message is dropped.
        #expect(h.complete(create, status: 202, body: ["conversationId": "X"]).withoutLogs
                == [.call(CallID(2), gateway.removeUser(conversationID: "X"))])
        #expect(h.complete(CallID(2), status: 204) == [])
        #expect(h.s1.outbox.queue.isEmpty)
    }

    @Test func cancelWhileTheCreateCallWaitsToRetryDropsIt() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        let timer = try #require(h.complete(create, status: 503).schedules.first?.0)
        _ = h.frame(c1, #"{"type":"cancel_handover"}"#)
        #expect(h.s1.outbox.queue.isEmpty)
        #expect(h.fire(timer) == [])  // superseded
    }

    @Test func createFailingAfterCancelIsQuiet() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        _ = h.frame(c1, #"{"type":"cancel_handover"}"#)
        let effects = h.complete(create, status: 400)
        #expect(effects.withoutLogs == [])
        #expect(h.s1.handover?.state == .cancelled)
        #expect(h.s1.outbox.queue.isEmpty)
    }

    @Test func endWhileTheCreateCallIsInFlight() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        let effects = h.frame(c1, #"{"type":"end"}"#)
        #expect(effects.withoutLogs == [
            .send(c1, handoverFrame(5, .ended(by: .user))),
            .send(c1, messageFrame(6, .system, "The chat has ended.")),
            .close(c1, code: 1000, reason: "chat ended"),
        ])
        #expect(h.complete(create, status: 202, body: ["conversationId": "X"]).withoutLogs
                == [.call(CallID(2), gateway.removeUser(conversationID: "X"))])
    }

    @Test func aNewHandoverAfterTheLastOneEnded() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"])
        _ = h.complete(CallID(2), status: 204)
        let effects = h.say(c1, "m2", "agent please")
        let create = try #require(effects.calls.first)
        #expect(create.0 == CallID(3))
        #expect(create.1.url.description == "\(gatewayBase)/conversations")
        _ = h.complete(create.0, status: 202, body: ["conversationId": "Y"])
        // Webhooks for the old conversation no longer reach the session.
        #expect(h.webhook("MESSAGE", data: ["sender": ["type": "agent"], "text": "old"]).0.jsonBody?["status"] == "ignored")
        #expect(h.webhook("QUEUED", conversation: "Y", data: ["queueId": "q"]).1.sent.count == 1)
    }

    @Test func reRequestingBeforeTheOldConversationIsLeftStillLeavesIt() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.say(c1, "m2", "still there?")  // call 2 (message) in flight
        _ = h.frame(c1, #"{"type":"cancel_handover"}"#)  // removal of X waits behind it
        let effects = h.frame(c1, #"{"type":"request_handover"}"#)
        #expect(effects.calls.isEmpty)  // the new create waits its turn
        // The message finishes; the old conversation is left first, then the new one is created.
        let removal = try #require(h.complete(CallID(2), status: 202).calls.first)
        #expect(removal.1 == gateway.removeUser(conversationID: "X"))
        let create = try #require(h.complete(removal.0, status: 204).calls.first)
        #expect(create.1.url.description == "\(gatewayBase)/conversations")
        _ = h.complete(create.0, status: 202, body: ["conversationId": "Y"])
        #expect(h.s1.handover?.conversationID == "Y")
    }

    @Test func aLateCreateForAnEarlierHandoverIsLeftAndChangesNothing() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let oldCreate = h.requestAgent(c1)
        _ = h.frame(c1, #"{"type":"cancel_handover"}"#)
        _ = h.frame(c1, #"{"type":"request_handover"}"#)  // queued behind the old create
        // The old create lands: that conversation is left; the new handover is untouched.
        let effects = h.complete(oldCreate, status: 202, body: ["conversationId": "OLD"])
        let removal = try #require(effects.calls.first)
        #expect(removal.1 == gateway.removeUser(conversationID: "OLD"))
        #expect(h.s1.handover?.conversationID == nil)
        #expect(h.s1.handover?.state == .requested(queueID: "q"))
        let create = try #require(h.complete(removal.0, status: 204).calls.first)
        _ = h.complete(create.0, status: 202, body: ["conversationId": "NEW"])
        #expect(h.s1.handover?.conversationID == "NEW")
        #expect(h.webhook("QUEUED", conversation: "OLD", data: ["queueId": "q"]).0.jsonBody?["status"] == "ignored")
    }

    @Test func aLateAgentLeftOfAnEarlierAgentDoesNotEndTheChat() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)  // ag1 active
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag2"])
        let effects = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"]).1
        #expect(effects.withoutLogs == [])
        #expect(h.s1.handover?.state == .active(agentID: "ag2"))
    }

    // MARK: failures and retries

    @Test func serverErrorIsRetriedWithTheSameRequest() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let effects = h.hello(c1) + h.say(c1, "m1", "agent")
        let original = try #require(effects.calls.first?.1)

        let failed = h.complete(CallID(1), status: 500, body: ["message": "internal error"])
        let delay = RetryPolicy().delayMs(afterAttempt: 1, salt: 1)
        // The user hears, once, that 8x8 is not answering and that the relay keeps trying.
        #expect(failed.withoutLogs == [.schedule(TimerID(1), afterMs: delay), .send(c1, messageFrame(5, .system, RelayEngine.unavailabilityText))])
        #expect(delay >= 250 && delay <= 500)
        #expect(failed.logs.first?.level == .warning)
        #expect(h.s1.handover?.state == .requested(queueID: "q"))

        // Nothing goes out before the timer fires.
        #expect(h.say(c1, "m2", "hello?").calls.isEmpty)
        h.now += Int64(delay)
        #expect(h.fire(TimerID(1)) == [.call(CallID(2), original)])
        #expect(h.fire(TimerID(1)) == [])  // fired twice: ignored

        #expect(h.complete(CallID(2), status: 202, body: ["conversationId": "X"]).withoutLogs
                == [.call(CallID(3), gateway.sendMessage(conversationID: "X", text: "hello?"))])
        #expect(h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"]).1.sent.count == 1)
    }

    @Test(arguments: [429, 408, 502, 503])
    func retryableStatuses(status: Int) {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        #expect(h.complete(create, status: status).schedules.count == 1)
    }

    @Test func transportErrorsUntilMaxAttemptsFailTheHandover() throws {
        var h = EngineHarness(config: testConfig(retry: RetryPolicy(maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000)))
        let c1 = h.connect(1)
        let c2 = h.connect(2)
        var call = h.requestAgent(c1)
        _ = h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":4}"#)
        var delays: [Int] = []
        for attempt in 1...2 {
            let effects = h.complete(call, .transportError("connection refused"))
            let (timer, delay) = try #require(effects.schedules.first)
            let notice = attempt == 1 ? [c1, c2].map { RelayEffect.send($0, messageFrame(5, .system, RelayEngine.unavailabilityText)) } : []
            #expect(effects.withoutLogs == [.schedule(timer, afterMs: delay)] + notice)
            #expect(timer == TimerID(UInt64(attempt)))
            delays.append(delay)
            let retried = h.fire(timer)
            try #require(retried.calls.count == 1)
            call = retried.calls[0].0
        }
        #expect(delays[0] >= 50 && delays[0] <= 100)
        #expect(delays[1] >= 100 && delays[1] <= 200)
        #expect(call == CallID(3))

        let effects = h.complete(call, .transportError("connection refused"))
        // The user sees a summary; the log keeps the transport detail.
        let reason = "the contact center is unreachable"
        #expect(effects.withoutLogs == [
            .send(c1, handoverFrame(6, .failed(reason: reason))),
            .send(c2, handoverFrame(6, .failed(reason: reason))),
            .send(c1, messageFrame(7, .bot, "I'm sorry, I couldn't connect you to an agent (\(reason)). You're back with the virtual assistant — say \"agent\" to try again.")),
            .send(c2, messageFrame(7, .bot, "I'm sorry, I couldn't connect you to an agent (\(reason)). You're back with the virtual assistant — say \"agent\" to try again.")),
        ])
        #expect(effects.logs.contains { $0.level == .error && $0.message == "8x8 create conversation failed: 8x8 is unreachable: connection refused" })
        #expect(h.s1.handover?.state == .failed(reason: reason))
        #expect(!h.s1.isWithHuman)
        #expect(h.s1.outbox.isIdle && h.s1.outbox.queue.isEmpty)
        // The user can try again.
        #expect(h.frame(c1, #"{"type":"request_handover"}"#).calls.count == 1)
    }

    @Test func clientErrorFailsAtOnce() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        _ = h.say(c1, "m2", "pending")
        let effects = h.complete(create, status: 400, body: ["message": "channelId 'c' does not exist", "errors": []])
        let reason = "the contact center refused the request (400)"
        #expect(effects.schedules.isEmpty)
        #expect(effects.logs.contains { $0.level == .error && $0.message == "8x8 create conversation failed: 8x8 answered 400: channelId 'c' does not exist" })
        #expect(effects.withoutLogs == [
            .send(c1, handoverFrame(6, .failed(reason: reason))),
            .send(c1, messageFrame(7, .bot, script.afterFailure.replacingOccurrences("{reason}", reason))),
        ])
        // The pending message was dropped with the handover.
        #expect(h.s1.outbox.queue.isEmpty)
    }

    @Test(arguments: [401, 403, 404, 409, 422])
    func nonRetryableStatuses(status: Int) {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        let effects = h.complete(create, status: status)
        #expect(effects.schedules.isEmpty)
        #expect(h.s1.handover?.state == .failed(reason: "the contact center refused the request (\(status))"))
    }

    @Test func serverErrorsUntilMaxAttemptsSayUnavailable() throws {
        var h = EngineHarness(config: testConfig(retry: RetryPolicy(maxAttempts: 2)))
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        let timer = try #require(h.complete(create, status: 503).schedules.first?.0)
        let retry = try #require(h.fire(timer).calls.first?.0)
        _ = h.complete(retry, status: 503, body: ["message": "maintenance"])
        #expect(h.s1.handover?.state == .failed(reason: "the contact center is unavailable (503)"))
    }

    @Test(arguments: [
        (OutboundResult.transportError("tls"), "the contact center is unreachable", "8x8 is unreachable: tls"),
        (.response(status: 500, body: Array(#"{"message":"boom"}"#.utf8)), "the contact center is unavailable (500)", "8x8 answered 500: boom"),
        (.response(status: 429, body: []), "the contact center is unavailable (429)", "8x8 answered 429"),
        (.response(status: 400, body: Array("not json".utf8)), "the contact center refused the request (400)", "8x8 answered 400"),
        (.response(status: 403, body: Array(#"{"message":7}"#.utf8)), "the contact center refused the request (403)", "8x8 answered 403"),
    ] as [(OutboundResult, String, String)])
    func failureReasons(result: OutboundResult, summary: String, detail: String) {
        #expect(RelayEngine.summarize(result) == summary)
        #expect(RelayEngine.describe(result) == detail)
    }

    @Test func longErrorMessagesAreTruncatedInLogs() {
        let long = String(repeating: "x", count: 500)
        let detail = RelayEngine.describe(.response(status: 400, body: (["message": .string(long)] as JSONValue).serializedBytes))
        #expect(detail == "8x8 answered 400: " + String(repeating: "x", count: 200))
    }

    @Test func anAnswerWithoutConversationIDIsRetriedLikeAnUnreachable8x8() throws {
        var h = EngineHarness(config: testConfig(retry: RetryPolicy(maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 100)))
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        let garbled = h.complete(create, .response(status: 200, body: Array("<html>gateway</html>".utf8)))
        #expect(garbled.logs.contains { $0.message.contains("8x8 answered 200 without a conversationId: \"<html>gateway</html>\"") })
        let (timer, delay) = try #require(garbled.schedules.first)
        #expect(h.s1.handover?.state == .requested(queueID: "q"))
        h.now += Int64(delay)
        let retry = try #require(h.fire(timer).calls.first)
        _ = h.complete(retry.0, status: 202, body: ["createdAt": "now"])  // a JSON answer, still without the id: the last attempt
        #expect(h.s1.handover?.state == .failed(reason: "the contact center is unreachable"))
    }

    @Test func losingAMessageFailsTheHandover() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.say(c1, "m2", "important")
        let effects = h.complete(CallID(2), status: 404, body: ["message": "conversation not found"])
        #expect(effects.withoutLogs.first == .send(c1, handoverFrame(8, .failed(reason: "the contact center refused the request (404)"))))
        #expect(effects.logs.first?.message == "8x8 send message failed: 8x8 answered 404: conversation not found")
        #expect(!h.s1.isWithHuman)
    }

    @Test func staleResultsAreIgnored() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        _ = h.complete(create, status: 202, body: ["conversationId": "X"])
        // The same call reported twice.
        #expect(h.complete(create, status: 202, body: ["conversationId": "Z"]).withoutLogs == [])
        #expect(h.s1.handover?.conversationID == "X")
    }

    // MARK: configuration problems

    @Test func missingHandoverSettingsFailImmediately() {
        var h = EngineHarness(config: RelayCoreConfig(providers: ["default": testProvider], handovers: [:]))
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let effects = h.say(c1, "m1", "agent")
        let reason = "no handover settings named 'default' are configured"
        #expect(effects.calls.isEmpty)
        #expect(effects.withoutLogs.suffix(2) == [
            .send(c1, handoverFrame(4, .failed(reason: reason))),
            .send(c1, messageFrame(5, .bot, script.afterFailure.replacingOccurrences("{reason}", reason))),
        ])
    }

    @Test func missingProviderFailsImmediately() {
        let handover = HandoverSettings(provider: "nowhere", channelID: "c", queueID: "q")
        var h = EngineHarness(config: testConfig(handover: handover))
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.frame(c1, #"{"type":"request_handover"}"#)
        #expect(h.s1.handover?.state == .failed(reason: "handover provider 'nowhere' is not configured"))
    }

    @Test func configuredPropertiesReachTheCreateBody() throws {
        let handover = HandoverSettings(provider: "default", channelID: "c", queueID: "q",
                                        properties: ["user": ["additionalProperties": [["key": "brand", "value": "acme"]]]])
        var h = EngineHarness(config: testConfig(handover: handover))
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let body = try #require(h.frame(c1, #"{"type":"request_handover"}"#).calls.first?.1.jsonBody)
        let keys = body["user"]?["additionalProperties"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
        #expect(keys == ["copilotUrl", "relaySessionId", "brand"])
    }
}
