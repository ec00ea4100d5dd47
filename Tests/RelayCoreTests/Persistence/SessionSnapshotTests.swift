import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// Every handover state, for round trips.
let allHandoverStates: [HandoverState] = [
    .requested(queueID: "q"), .queued(queueID: "q", queueName: "Support"), .queued(queueID: "q2", queueName: nil),
    .active(agentID: "ag1"), .transferred, .ended(by: .user), .ended(by: .agent), .ended(by: .system), .cancelled,
    .failed(reason: "the contact center is unreachable"), .failed(reason: ""),
]

/// The wire form of session events (chat frames, log payloads, the stream).
@Suite struct PersistenceEventWireTests {
    @Test func messageWireShape() {
        let user = SessionEvent(seq: 2, ts: t0, kind: .message(.init(from: .user, text: "hi", clientID: "m1")))
        #expect(user.wire == ["seq": 2, "ts": .number(Double(t0)), "type": "message", "from": "user", "text": "hi", "id": "m1"])
        #expect(user.typeName == "message")
        let agent = SessionEvent(seq: 7, ts: 5, kind: .message(.init(from: .agent, text: "Bob here", agentID: "ag1")))
        #expect(agent.wire == ["seq": 7, "ts": 5, "type": "message", "from": "agent", "text": "Bob here", "agentId": "ag1"])
        // The chat protocol's event frame is the same shape.
        #expect(json(ServerFrame.event(user)) == user.wire)
    }

    @Test func handoverWireShape() {
        let event = SessionEvent(seq: 5, ts: 9, kind: .handover(.queued(queueID: "q", queueName: "Support")))
        #expect(event.wire == ["seq": 5, "ts": 9, "type": "handover", "state": "queued", "queueId": "q", "queueName": "Support"])
        #expect(event.typeName == "handover")
        #expect(SessionEvent(seq: 1, ts: 1, kind: .handover(.failed(reason: "x"))).wire
            == ["seq": 1, "ts": 1, "type": "handover", "state": "failed", "reason": "x"])
    }

    @Test func everyMessageRoundTrips() {
        var seq = 0
        for author in [Author.user, .bot, .agent, .system] {
            for (clientID, agentID) in [(nil, nil), ("m1", nil), (nil, "ag1"), ("m2", "ag2")] as [(String?, String?)] {
                seq += 1
                let event = SessionEvent(seq: seq, ts: t0 + Int64(seq), kind: .message(.init(from: author, text: "text \(seq) ✓",
                                                                                                 clientID: clientID, agentID: agentID)))
                #expect(SessionEvent(wire: event.wire) == event)
                #expect(SessionEvent(wire: json(event.wire.serialized)) == event, "through text")
            }
        }
    }

    @Test func everyHandoverStateRoundTrips() {
        for (i, state) in allHandoverStates.enumerated() {
            let event = SessionEvent(seq: i + 1, ts: t0, kind: .handover(state))
            #expect(SessionEvent(wire: json(event.wire.serialized)) == event, "\(state)")
            #expect(HandoverState(wireFields: .object(state.wireFields)) == state, "\(state)")
        }
    }

    @Test func unreadableShapesAreNil() {
        let bad: [JSONValue] = [
            ["ts": 1, "type": "message", "from": "user", "text": "x"],              // no seq
            ["seq": 1, "type": "message", "from": "user", "text": "x"],             // no ts
            ["seq": "1", "ts": 1, "type": "message", "from": "user", "text": "x"],  // seq not a number
            ["seq": 1, "ts": 1, "type": "typing"],                                  // unknown type
            ["seq": 1, "ts": 1, "from": "user", "text": "x"],                       // no type
            ["seq": 1, "ts": 1, "type": "message", "text": "x"],                    // no author
            ["seq": 1, "ts": 1, "type": "message", "from": "robot", "text": "x"],   // unknown author
            ["seq": 1, "ts": 1, "type": "message", "from": "user"],                 // no text
            ["seq": 1, "ts": 1, "type": "handover", "state": "paused"],             // unknown state
            ["seq": 1, "ts": 1, "type": "handover"],                                // no state
            ["seq": 1, "ts": 1, "type": "handover", "state": "requested"],          // no queue
            ["seq": 1, "ts": 1, "type": "handover", "state": "queued"],             // no queue
            ["seq": 1, "ts": 1, "type": "handover", "state": "active"],             // no agent
            ["seq": 1, "ts": 1, "type": "handover", "state": "ended", "by": "nobody"],
            ["seq": 1, "ts": 1, "type": "handover", "state": "ended"],
            "message", .null,
        ]
        for value in bad { #expect(SessionEvent(wire: value) == nil, "\(value.serialized)") }
    }

    @Test func aFailureWithoutReasonReadsAsAnEmptyReason() {
        #expect(HandoverState(wireFields: ["state": "failed"]) == .failed(reason: ""))
    }
}

/// What survives a restart besides the log: SessionSnapshot and its JSON.
@Suite struct SessionSnapshotTests {
    let create = GatewayOperation.createConversation(body: ["channelId": "c", "history": ["messages": [["text": "hi", "authorType": "user"]]],
                                                            "n": 1.5], provider: "default", generation: 2)

    /// A session mid-handover with every kind of pending call (typing included).
    func busySession() -> Session {
        var session = Session(id: SessionID("s1"), resumeToken: "secret-2",
                              user: UserInfo(name: "Ada", email: "ada@example.com", phone: "+1 555", company: "ACME", language: "en",
                                             userId: "u-1"))
        _ = session.log.append(.message(.init(from: .user, text: "hi", clientID: "m1")), ts: t0)
        _ = session.log.append(.handover(.active(agentID: "ag1")), ts: t0 + 1)
        _ = session.log.append(.message(.init(from: .user, text: "second", clientID: "m2")), ts: t0 + 2)
        session.handover = Handover(settings: HandoverSettings(provider: "default", channelID: "c", queueID: "q",
                                                               properties: ["user": ["company": "ACME"]]),
                                    state: .transferred, conversationID: "X", transferPending: true)
        session.handoverProperties = [["key": "relaySessionId", "value": "s1"]]
        session.handoverGeneration = 2
        // "hi" is still in flight for an earlier handover; "second" is for this one (after the settled mark).
        session.outbox = GatewayOutbox(restoring: [
            .sendMessage(text: "hi", seq: 1), .typing, create, .removeUser(conversationID: "OLD", provider: "default"),
            .sendMessage(text: "second", seq: 3),
        ], messagesSettledThrough: 2)
        session.connections = [ConnectionID(4)]
        return session
    }

    @Test func aSnapshotTakesTheDurableStateAndDropsTypingAndTheMessagesTheLogHas() {
        let session = busySession()
        let snapshot = SessionSnapshot(session)
        #expect(snapshot.id == session.id)
        #expect(snapshot.resumeToken == "secret-2")
        #expect(snapshot.user == session.user)
        #expect(snapshot.handover == session.handover)
        #expect(snapshot.handoverProperties == session.handoverProperties)
        #expect(snapshot.handoverGeneration == 2)
        #expect(snapshot.ended == false)
        #expect(snapshot.pendingCalls == [
            .sendMessage(text: "hi", seq: 1), create, .removeUser(conversationID: "OLD", provider: "default"),
        ])
        #expect(snapshot.messagesSettledThrough == 2)
    }

    @Test func backWithTheBotEveryQueuedMessageIsListed() {
        var session = busySession()
        session.handover = Handover(settings: session.handover!.settings, state: .ended(by: .agent), conversationID: "X", transferPending: false)
        #expect(SessionSnapshot(session).pendingCalls == [
            .sendMessage(text: "hi", seq: 1), create, .removeUser(conversationID: "OLD", provider: "default"),
            .sendMessage(text: "second", seq: 3),
        ])
    }

    @Test func jsonRoundTripWithHandoverAndEveryPendingCall() throws {
        let snapshot = SessionSnapshot(busySession())
        #expect(try SessionSnapshot(json: snapshot.json) == snapshot)
        #expect(try SessionSnapshot(json: JSONValue.parse(snapshot.json.serialized)) == snapshot, "through text")
        // Typing survives as a call too (the snapshot itself never holds one, but its JSON form can).
        var withTyping = snapshot
        withTyping.pendingCalls.append(.typing)
        #expect(try SessionSnapshot(json: JSONValue.parse(withTyping.json.serialized)) == withTyping)
    }

    @Test func jsonRoundTripOfEveryHandoverState() throws {
        for state in allHandoverStates {
            var session = Session(id: SessionID("s9"), resumeToken: "t", user: UserInfo())
            session.handover = Handover(settings: testHandover, state: state, conversationID: state == .requested(queueID: "q") ? nil : "C",
                                        transferPending: false)
            let snapshot = SessionSnapshot(session)
            #expect(try SessionSnapshot(json: JSONValue.parse(snapshot.json.serialized)) == snapshot, "\(state)")
        }
    }

    @Test func jsonRoundTripOfABotOnlyEndedSession() throws {
        var session = Session(id: SessionID("s3"), resumeToken: "secret-4", user: UserInfo())
        session.ended = true
        let snapshot = SessionSnapshot(session)
        #expect(snapshot.json["handover"] == nil)
        #expect(snapshot.json["v"] == 1)
        #expect(snapshot.json["user"] == [:])
        let back = try SessionSnapshot(json: JSONValue.parse(snapshot.json.serialized))
        #expect(back == snapshot)
        #expect(back.handover == nil)
        #expect(back.ended)
    }

    @Test func theJSONShape() {
        var session = Session(id: SessionID("s1"), resumeToken: "r", user: UserInfo(name: "Ada"))
        session.handover = Handover(settings: testHandover, state: .active(agentID: "ag1"), conversationID: "X", transferPending: false)
        session.handoverGeneration = 1
        session.outbox = GatewayOutbox(restoring: [.sendMessage(text: "hi", seq: 4), .removeUser(conversationID: "X", provider: "default")],
                                       messagesSettledThrough: 3)
        #expect(SessionSnapshot(session).json == [
            "v": 1, "id": "s1", "resumeToken": "r", "user": ["name": "Ada"], "handoverProperties": [], "handoverGeneration": 1,
            "ended": false,
            "handover": [
                "settings": ["provider": "default", "channelId": "c", "queueId": "q", "properties": [:]],
                "state": ["state": "active", "agentId": "ag1"], "conversationId": "X", "transferPending": false,
            ],
            "pendingCalls": [
                ["op": "removeUser", "conversationId": "X", "provider": "default"],
            ],
            "messagesSettledThrough": 3,
        ])
    }

    @Test func restoredRebuildsTheSessionWithNothingInFlight() {
        let original = busySession()
        let restored = SessionSnapshot(original).restored(events: original.log.events)
        #expect(restored.id == original.id)
        #expect(restored.resumeToken == original.resumeToken)
        #expect(restored.user == original.user)
        #expect(restored.log == original.log)
        #expect(restored.log.seq(forClientID: "m1") == 1, "client ids are indexed again, so a retransmission is a duplicate")
        #expect(restored.handover == original.handover)
        #expect(restored.handoverProperties == original.handoverProperties)
        #expect(restored.handoverGeneration == 2)
        #expect(restored.outbox.queue == original.outbox.queue.filter { $0 != .typing }, "the saved calls, then the log's messages")
        #expect(restored.outbox.messagesSettledThrough == 2)
        #expect(restored.outbox.isIdle)
        #expect(restored.outbox.attempts == 0)
        #expect(restored.connections.isEmpty)
        #expect(restored.ended == false)
    }

    // MARK: decode errors

    func decodeError(_ json: JSONValue) -> String? {
        do {
            _ = try SessionSnapshot(json: json)
            return nil
        } catch {
            return error.description
        }
    }

    func valid() -> [String: JSONValue] { SessionSnapshot(busySession()).json.objectValue! }

    @Test func unknownVersionsAreRefused() {
        var fields = valid()
        fields["v"] = 2
        #expect(decodeError(.object(fields)) == "unknown snapshot version 2")
        fields["v"] = nil
        #expect(decodeError(.object(fields)) == "unknown snapshot version 0")
        #expect(decodeError("snapshot") == "unknown snapshot version 0")
    }

    @Test func requiredFieldsAreRequired() {
        for key in ["id", "resumeToken", "handoverGeneration", "ended", "pendingCalls"] {
            var fields = valid()
            fields[key] = nil
            #expect(decodeError(.object(fields)) == "snapshot lacks id, resumeToken, handoverGeneration, ended or pendingCalls", "\(key)")
            fields[key] = ["wrong": "type"]
            #expect(decodeError(.object(fields)) != nil, "\(key)")
        }
    }

    @Test func optionalFieldsDefault() throws {
        var fields = valid()
        fields["user"] = nil
        fields["handoverProperties"] = nil
        fields["handover"] = nil
        let snapshot = try SessionSnapshot(json: .object(fields))
        #expect(snapshot.user == UserInfo())
        #expect(snapshot.handoverProperties == [])
        #expect(snapshot.handover == nil)
    }

    @Test func anUnreadableHandoverIsRefused() {
        let broken: [JSONValue] = [
            "active",
            ["settings": ["provider": "default", "channelId": "c", "queueId": "q"], "state": ["state": "paused"]],
            ["settings": ["provider": "default", "channelId": "c"], "state": ["state": "cancelled"]],
            ["state": ["state": "cancelled"]],
        ]
        for handover in broken {
            var fields = valid()
            fields["handover"] = handover
            #expect(decodeError(.object(fields)) == "session s1: unreadable handover", "\(handover.serialized)")
        }
    }

    @Test func anUnreadablePendingCallIsRefused() {
        let broken: [JSONValue] = [
            ["op": "fax"], ["text": "hi", "seq": 1], ["op": "sendMessage", "text": "hi"], ["op": "sendMessage", "seq": 1],
            ["op": "createConversation", "provider": "default", "generation": 1], ["op": "createConversation", "body": [:], "generation": 1],
            ["op": "createConversation", "body": [:], "provider": "default"], ["op": "removeUser", "provider": "default"],
            ["op": "removeUser", "conversationId": "X"], "typing",
        ]
        for call in broken {
            var fields = valid()
            fields["pendingCalls"] = [["op": "typing"], call]
            #expect(decodeError(.object(fields)) == "session s1: unreadable pending call", "\(call.serialized)")
        }
    }

    @Test func everyGatewayOperationRoundTrips() {
        let ops: [GatewayOperation] = [create, .sendMessage(text: "hé ✓", seq: 12), .typing,
                                       .removeUser(conversationID: "X", provider: "acme")]
        for op in ops { #expect(GatewayOperation(json: json(op.json.serialized)) == op, "\(op)") }
    }

    @Test func aHandoverWithoutPropertiesReadsAsEmptyProperties() throws {
        var fields = valid()
        fields["handover"] = ["settings": ["provider": "p", "channelId": "c", "queueId": "q"], "state": ["state": "cancelled"]]
        let snapshot = try SessionSnapshot(json: .object(fields))
        #expect(snapshot.handover == Handover(settings: HandoverSettings(provider: "p", channelID: "c", queueID: "q"), state: .cancelled,
                                              conversationID: nil, transferPending: false))
    }
}

/// The log payload and the change set the shell commits.
@Suite struct PersistenceStoreChangesTests {
    @Test func logPayloadCarriesTheEventAndTheHandoversProviderAndQueue() {
        let event = SessionEvent(seq: 3, ts: t0, kind: .message(.init(from: .bot, text: "hi")))
        let withHandover = LogPayload.make(event, handover: HandoverSettings(provider: "acme", channelID: "c", queueID: "vip"))
        #expect(withHandover == ["event": event.wire, "provider": "acme", "queue": "vip"])
        #expect(LogPayload.event(withHandover) == event.wire)
        #expect(LogPayload.provider(withHandover) == "acme")
        #expect(LogPayload.queue(withHandover) == "vip")
        let botOnly = LogPayload.make(event, handover: nil)
        #expect(botOnly == ["event": event.wire])
        #expect(LogPayload.provider(botOnly) == nil)
        #expect(LogPayload.queue(botOnly) == nil)
    }

    @Test(arguments: [nil, HandoverSettings(provider: "acme", channelID: "c", queueID: "vip"),
                      HandoverSettings(provider: "a\"b\\c", channelID: "c", queueID: "ünïcode\n")])
    func theSerializedPayloadIsBuiltAroundTheChatFramesBytes(_ handover: HandoverSettings?) {
        let event = SessionEvent(seq: 3, ts: t0, kind: .message(.init(from: .user, text: "quote \" and ✓", clientID: "m1")))
        let bytes = LogPayload.serialized(wire: event.wire.serializedBytes, handover: handover)
        #expect(bytes == LogPayload.make(event, handover: handover).serializedBytes)
        #expect(LogPayload.split(bytes)?.event == ArraySlice(event.wire.serializedBytes))
    }

    @Test func theEngineStoresEachEventsWireFormWithItsHandover() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.requestAgent(c1)
        let events = h.engine.takeChanges().events
        #expect(events.count == h.s1.log.events.count)
        for event in events {
            let logged = h.s1.log.events[event.seq - 1]
            let split = try #require(LogPayload.split(event.payloadJSON))
            #expect(split.event == ArraySlice(logged.wire.serializedBytes))
            // The handover is requested by the last event: from there on the payload names it.
            let handover = event.seq == events.count ? h.s1.handover?.settings : nil
            #expect(event.payloadJSON == LogPayload.make(logged, handover: handover).serializedBytes)
        }
    }

    @Test func isEmptyConsidersEveryPart() {
        #expect(StoreChanges().isEmpty)
        var c = StoreChanges()
        c.events = [messageEntry("s1", seq: 1)]
        #expect(!c.isEmpty)
        c = StoreChanges()
        c.snapshots = [StoredSession(id: "s1", state: [:])]
        #expect(!c.isEmpty)
        c = StoreChanges()
        c.finished = [SessionID("s1")]
        #expect(!c.isEmpty)
        c = StoreChanges()
        c.webhookIDs = ["e1"]
        #expect(!c.isEmpty)
    }
}
