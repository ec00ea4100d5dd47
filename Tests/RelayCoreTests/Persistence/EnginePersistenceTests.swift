import HTTPModel
import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// The engine's journal (`takeChanges`) and restart recovery (`restore`).
@Suite struct EnginePersistenceTests {
    let s1 = SessionID("s1")

    /// The log entry the engine writes for `event` of a session with `handover` settings at the time.
    func entry(_ event: SessionEvent, session: String = "s1", handover: HandoverSettings? = nil) -> NewEvent {
        NewEvent(sessionID: session, seq: event.seq, ts: event.ts, kind: event.typeName, payload: LogPayload.make(event, handover: handover))
    }

    func snapshot(_ session: Session) -> StoredSession { StoredSession(id: session.id.rawValue, state: SessionSnapshot(session).json) }

    // MARK: takeChanges

    @Test func aFreshEngineHasNothingToWrite() {
        var h = EngineHarness()
        #expect(!h.engine.hasChanges)
        #expect(h.engine.takeChanges().isEmpty)
        _ = h.connect(1)  // a connection alone is not durable
        #expect(!h.engine.hasChanges)
    }

    @Test func aNewSessionWritesItsFirstEventAndSnapshot() {
        var h = EngineHarness()
        _ = h.hello(h.connect(1))
        #expect(h.engine.hasChanges)
        let changes = h.engine.takeChanges()
        #expect(changes.events == [entry(h.s1.log.events[0])])
        #expect(changes.events.first?.kind == "message")
        #expect(changes.snapshots == [snapshot(h.s1)])
        #expect(changes.finished.isEmpty)
        #expect(changes.webhookIDs.isEmpty)
        // Taken: nothing is written twice.
        #expect(!h.engine.hasChanges)
        #expect(h.engine.takeChanges().isEmpty)
    }

    @Test func aBotOnlyMessageAfterTheFirstTurnWritesEventsButNoSnapshot() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.engine.takeChanges()
        _ = h.say(c1, "m1", "What are your opening hours?")
        let changes = h.engine.takeChanges()
        #expect(changes.events == h.s1.log.events(after: 1).map { entry($0) })
        #expect(changes.events.map(\.seq) == [2, 3])
        #expect(changes.snapshots.isEmpty)
    }

    @Test func seqIsPerSession() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        let c1 = h.connect(1), c2 = h.connect(2)
        _ = h.hello(c1)
        _ = h.hello(c2, name: "Bob")
        _ = h.say(c1, "m1", "opening hours?")
        _ = h.say(c2, "m1", "delivery?")
        _ = h.say(c1, "m2", "returns?")
        let changes = h.engine.takeChanges()
        #expect(changes.events.map { "\($0.sessionID)#\($0.seq)" } == ["s1#1", "s3#1", "s1#2", "s1#3", "s3#2", "s3#3", "s1#4", "s1#5"])
        #expect(changes.snapshots.map(\.id) == ["s1", "s3"])
        // The store accepts them (no (session, seq) twice) and they read back as the engine's logs.
        try persist(changes, to: store)
        for sid in ["s1", "s3"] {
            let logged = try store.events(session: sid, afterSeq: 0, limit: 100)
            let events = logged.compactMap { LogPayload.event($0.payload).flatMap(SessionEvent.init(wire:)) }
            #expect(events == h.engine.session(SessionID(sid))!.log.events)
        }
    }

    @Test func aHandoverWritesItsStateWithProviderAndQueueAndThePendingCreate() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.engine.takeChanges()
        let create = try #require(h.say(c1, "m1", "I want an agent").calls.first)
        let changes = h.engine.takeChanges()
        let events = h.s1.log.events
        // The user's message and the bot's reply precede the handover: no provider yet.
        #expect(changes.events == [entry(events[1]), entry(events[2]), entry(events[3], handover: testHandover)])
        #expect(changes.events.last?.kind == "handover")
        #expect(LogPayload.provider(changes.events[2].payload) == "default")
        let saved = try SessionSnapshot(json: try #require(changes.snapshots.first).state)
        #expect(changes.snapshots.count == 1)
        #expect(saved.handover?.state == .requested(queueID: "q"))
        #expect(saved.handoverGeneration == 1)
        #expect(saved.pendingCalls.count == 1)
        guard case .createConversation(let body, let provider, let generation) = saved.pendingCalls.first else {
            Issue.record("expected a pending create, got \(saved.pendingCalls)")
            return
        }
        #expect(body == create.1.jsonBody)
        #expect(provider == "default")
        #expect(generation == 1)
    }

    @Test func completingTheCreateRewritesTheSnapshotWithoutEvents() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.requestAgent(c1)
        _ = h.engine.takeChanges()
        _ = h.complete(CallID(1), status: 202, body: ["conversationId": "X"])
        let changes = h.engine.takeChanges()
        #expect(changes.events.isEmpty)
        let saved = try SessionSnapshot(json: try #require(changes.snapshots.first).state)
        #expect(saved.handover?.conversationID == "X")
        #expect(saved.pendingCalls.isEmpty)
    }

    @Test func aRelayedMessageStaysPendingUntil8x8AcknowledgesIt() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let saved = try SessionSnapshot(json: try #require(h.engine.takeChanges().snapshots.first).state)
        _ = h.say(c1, "m2", "My order is late")
        var changes = h.engine.takeChanges()
        #expect(changes.events.map(\.seq) == [7])
        // Nothing saved changes: the message is in the log, and a restore queues it again from there.
        #expect(changes.snapshots.isEmpty)
        #expect(saved.restored(events: h.s1.log.events).outbox.queue == [.sendMessage(text: "My order is late", seq: 7)])
        _ = h.complete(CallID(2), status: 202)
        changes = h.engine.takeChanges()
        #expect(changes.events.isEmpty)
        let settled = try SessionSnapshot(json: changes.snapshots[0].state)
        #expect(settled.pendingCalls == [])
        #expect(settled.messagesSettledThrough == 7)
        #expect(settled.restored(events: h.s1.log.events).outbox.queue == [])
    }

    @Test func messagesQueuedBehindOneIn8x8AreRestoredInOrderFromTheLog() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.say(c1, "m2", "first")
        _ = h.complete(CallID(2), status: 202)
        _ = h.say(c1, "m3", "second")   // in flight
        _ = h.say(c1, "m4", "third")    // queued behind it
        let changes = h.engine.takeChanges()
        let saved = try SessionSnapshot(json: try #require(changes.snapshots.last).state)
        #expect(saved.messagesSettledThrough == 7)
        #expect(saved.pendingCalls == [])
        #expect(saved.restored(events: h.s1.log.events).outbox.queue == [
            .sendMessage(text: "second", seq: 8), .sendMessage(text: "third", seq: 9),
        ])
    }

    @Test func aMessageInFlightWhenTheHandoverEndsIsSavedExplicitly() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.say(c1, "m2", "one more thing")  // in flight
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"])
        let changes = h.engine.takeChanges()
        let saved = try SessionSnapshot(json: try #require(changes.snapshots.last).state)
        #expect(saved.handover?.state.isTerminal == true)
        // Back with the bot, nothing is derived from the log: the call in flight is listed itself.
        #expect(saved.pendingCalls.first == .sendMessage(text: "one more thing", seq: 7))
        #expect(saved.restored(events: h.s1.log.events).outbox.queue == saved.pendingCalls)
    }

    @Test func aSnapshotFromBeforeSettledMessagesRestoresItsListAsItWas() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.say(c1, "m2", "hello")
        var old = SessionSnapshot(h.s1)
        old.messagesSettledThrough = nil
        old.pendingCalls = [.sendMessage(text: "hello", seq: 7)]
        var json = old.json
        #expect(json["messagesSettledThrough"] == nil)
        json = try SessionSnapshot(json: json).json
        #expect(try SessionSnapshot(json: json).restored(events: h.s1.log.events).outbox.queue == [.sendMessage(text: "hello", seq: 7)])
    }

    @Test func typingNeverRewritesTheSnapshot() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.engine.takeChanges()
        let effects = h.frame(c1, ["type": "typing", "active": true])
        #expect(effects.calls.count == 1, "typing is sent to 8x8")
        #expect(h.engine.takeChanges().isEmpty)
    }

    @Test func anAgentMessageWritesItsEventButNoSnapshot() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.engine.takeChanges()
        _ = h.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "How can I help?"])
        let changes = h.engine.takeChanges()
        #expect(changes.events.map(\.kind) == ["message"])
        #expect(changes.snapshots.isEmpty, "the webhook reassigned an unchanged handover: nothing durable changed")
    }

    @Test func webhookIdsAreRecordedOnceEvenForUnknownConversations() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.requestAgent(c1)
        _ = h.complete(CallID(1), status: 202, body: ["conversationId": "X"])
        _ = h.engine.takeChanges()
        _ = h.webhook("QUEUED", data: ["queueId": "q"], eventID: "evt-a")
        var changes = h.engine.takeChanges()
        #expect(changes.webhookIDs == ["evt-a"])
        #expect(changes.events.map(\.kind) == ["handover"])
        // The duplicate changes nothing.
        _ = h.webhook("QUEUED", data: ["queueId": "q"], eventID: "evt-a")
        #expect(!h.engine.hasChanges)
        // Processed even though nobody was told: a redelivery is still a duplicate after a restart.
        _ = h.webhook("TRANSFER", conversation: "nobody", eventID: "evt-b")
        changes = h.engine.takeChanges()
        #expect(changes.webhookIDs == ["evt-b"])
        #expect(changes.events.isEmpty)
        #expect(changes.snapshots.isEmpty)
        // Without an id there is nothing to remember.
        _ = h.engine.webhook(webhookRequest("TRANSFER", conversation: "nobody"), now: h.now)
        #expect(h.engine.takeChanges().isEmpty)
    }

    @Test func endingASessionIsInItsSnapshot() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.engine.takeChanges()
        _ = h.frame(c1, ["type": "end"])
        let changes = h.engine.takeChanges()
        #expect(changes.events.count == 1)
        #expect(try SessionSnapshot(json: changes.snapshots[0].state).ended)
    }

    @Test func aSweptSessionIsFinished() throws {
        var config = testConfig()
        config.sessionIdleTTLSeconds = 1
        var h = EngineHarness(config: config)
        let store = InMemoryStore()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        try h.commit(to: store)
        #expect(try store.allSessions().map(\.id) == ["s1"])
        h.engine.chatDisconnected(c1)
        #expect(!h.engine.hasChanges)
        _ = h.engine.sweepIdleSessions(now: t0 + 2_000)
        let changes = h.engine.takeChanges()
        #expect(changes.finished == [s1])
        #expect(changes.snapshots.isEmpty)
        #expect(changes.events.isEmpty)
        try persist(changes, to: store)
        #expect(try store.allSessions().isEmpty)
        #expect(try store.events(session: "s1", afterSeq: 0, limit: 10).count == 1, "its events stay, now prunable")
    }

    @Test func aSessionSweptBeforeItsChangesWereTakenWritesEventsButNoSnapshot() throws {
        var config = testConfig()
        config.sessionIdleTTLSeconds = 1
        var h = EngineHarness(config: config)
        let c1 = h.connect(1)
        _ = h.hello(c1)
        h.engine.chatDisconnected(c1)
        _ = h.engine.sweepIdleSessions(now: t0 + 2_000)
        let changes = h.engine.takeChanges()
        #expect(changes.events.map(\.seq) == [1])
        #expect(changes.snapshots.isEmpty)
        #expect(changes.finished == [s1])
        let store = InMemoryStore()
        try persist(changes, to: store)
        #expect(try store.allSessions().isEmpty)
    }

    // MARK: restore

    /// A handover scenario, every turn committed to `store`. Ends with: agent ag1 active in conversation "X",
    /// "first" relayed and acknowledged, "second" in flight (call 3), "third" and a typing notification queued.
    /// Webhook ids evt-1 … evt-3 processed.
    func handoverScenario(_ h: inout EngineHarness, store: InMemoryStore) throws -> ConnectionID {
        let c1 = h.connect(1)
        _ = h.hello(c1)
        try h.commit(to: store)
        _ = h.say(c1, "m1", "What are your opening hours?")
        try h.commit(to: store)
        let create = h.say(c1, "m2", "I want an agent")
        #expect(create.calls.map(\.0) == [CallID(1)])
        try h.commit(to: store)
        _ = h.complete(CallID(1), status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        try h.commit(to: store)
        _ = h.webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
        try h.commit(to: store)
        _ = h.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "Hi, I'm Bob."])
        try h.commit(to: store)
        #expect(h.say(c1, "m3", "first").calls.map(\.0) == [CallID(2)])
        try h.commit(to: store)
        _ = h.complete(CallID(2), status: 202)
        try h.commit(to: store)
        #expect(h.say(c1, "m4", "second").calls.map(\.0) == [CallID(3)])
        try h.commit(to: store)
        #expect(h.say(c1, "m5", "third").calls.isEmpty, "queued behind 'second'")
        _ = h.frame(c1, ["type": "typing", "active": true])
        try h.commit(to: store)
        #expect(h.s1.handover?.state == .active(agentID: "ag1"))
        #expect(h.s1.outbox.queue == [.sendMessage(text: "second", seq: 11), .sendMessage(text: "third", seq: 12), .typing])
        return c1
    }

    /// A relay started on `store` after a crash.
    func restart(_ store: InMemoryStore, config: RelayCoreConfig = testConfig()) throws -> (RelayEngine, [RelayEffect]) {
        var engine = RelayEngine(config: config, identifiers: SequentialIdentifiers())
        let (sessions, webhookIDs) = try savedState(store)
        let effects = engine.restore(sessions, webhookIDs: webhookIDs, now: t0)
        return (engine, effects)
    }

    @Test func aRestoredSessionEqualsTheOriginal() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        _ = try handoverScenario(&h, store: store)
        let original = h.s1

        let (engine, _) = try restart(store)
        let restored = try #require(engine.session(s1))
        #expect(restored.log == original.log)
        #expect(restored.log.lastSeq == 12)
        #expect(restored.handover == original.handover)
        #expect(restored.handover?.conversationID == "X")
        #expect(restored.outbox.queue == original.outbox.queue.filter { $0 != .typing })
        #expect(restored.user == original.user)
        #expect(restored.resumeToken == original.resumeToken)
        #expect(restored.handoverGeneration == original.handoverGeneration)
        #expect(restored.handoverProperties == original.handoverProperties)
        #expect(restored.ended == original.ended)
        #expect(restored.connections.isEmpty)
        #expect(restored.isWithHuman)
    }

    @Test func pendingCallsAreSentAgainExactlyOnceAndAcknowledgedOnesNever() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        _ = try handoverScenario(&h, store: store)

        var (engine, effects) = try restart(store)
        // "second" was in flight: 8x8 may not have it, so it goes again. "first" was acknowledged: never again.
        #expect(effects.withoutLogs == [.call(CallID(1), gateway.sendMessage(conversationID: "X", text: "second"))])
        #expect(effects.logs.map(\.message) == ["restored sessions"])
        #expect(effects.logs.first?.metadata == ["sessions": "1", "resentCalls": "1", "withHuman": "1"])

        // The queue continues in order; the stale typing notification is gone.
        effects = engine.callCompleted(CallID(1), result: .response(status: 202, body: []), now: t0)
        #expect(effects.withoutLogs == [.call(CallID(2), gateway.sendMessage(conversationID: "X", text: "third"))])
        effects = engine.callCompleted(CallID(2), result: .response(status: 202, body: []), now: t0)
        #expect(effects.calls.isEmpty)
        #expect(engine.session(s1)?.outbox.queue == [])
    }

    @Test func restoringWritesNothingNew() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        _ = try handoverScenario(&h, store: store)
        let before = try store.everything()
        var (engine, _) = try restart(store)
        let changes = engine.takeChanges()
        #expect(changes.events.isEmpty)
        #expect(changes.snapshots.isEmpty, "the restored snapshot is already in the store")
        #expect(changes.webhookIDs.isEmpty)
        #expect(changes.finished.isEmpty)
        try persist(changes, to: store)
        #expect(try store.everything() == before)
    }

    @Test func processedWebhookIdsAreDuplicatesAfterARestart() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        _ = try handoverScenario(&h, store: store)
        var (engine, _) = try restart(store)
        let lastSeq = engine.session(s1)!.log.lastSeq
        for id in ["evt-1", "evt-2", "evt-3"] {
            let request = webhookRequest("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "Hi, I'm Bob."], eventID: id)
            let (response, effects) = engine.webhook(request, now: t0)
            #expect(response.jsonBody == ["status": "duplicate"], "\(id)")
            #expect(effects.withoutLogs.isEmpty)
        }
        #expect(engine.session(s1)!.log.lastSeq == lastSeq)
        #expect(engine.takeChanges().isEmpty)
        // A new event for the restored conversation is routed to its session.
        let fresh = webhookRequest("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "Still there?"], eventID: "evt-4")
        #expect(engine.webhook(fresh, now: t0).0.jsonBody == ["status": "accepted"])
        #expect(engine.session(s1)!.log.events.last?.message == .init(from: .agent, text: "Still there?", agentID: "ag1"))
        let changes = engine.takeChanges()
        #expect(changes.webhookIDs == ["evt-4"])
        #expect(changes.events.map(\.seq) == [lastSeq + 1])
        #expect(changes.events.first?.sessionID == "s1")
        #expect(throws: Never.self) { try persist(changes, to: store) }
    }

    @Test func theUserResumesTheRestoredSession() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        _ = try handoverScenario(&h, store: store)
        let original = h.s1
        var (engine, _) = try restart(store)
        let c9 = ConnectionID(9)
        engine.chatConnected(c9)
        let effects = engine.chatFrame(c9, text: #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":10}"#, now: t0)
        #expect(effects == [
            .send(c9, ServerFrame.welcome(sessionID: s1, resumeToken: "secret-2", resumed: true, lastSeq: 12,
                                          handover: .active(agentID: "ag1"), ended: false)),
            .send(c9, ServerFrame.event(original.log.events[10])),
            .send(c9, ServerFrame.event(original.log.events[11])),
        ])
        // A retransmitted message is acknowledged, not relayed again.
        #expect(engine.chatFrame(c9, text: #"{"type":"message","id":"m4","text":"second"}"#, now: t0)
            == [.send(c9, #"{"id":"m4","seq":11,"type":"ack"}"#)])
        // A new one is stored after the restored log and queued behind the pending calls.
        let next = engine.chatFrame(c9, text: #"{"type":"message","id":"m6","text":"fourth"}"#, now: t0)
        #expect(next.first == .send(c9, #"{"id":"m6","seq":13,"type":"ack"}"#))
        #expect(next.calls.isEmpty)
        #expect(engine.session(s1)?.outbox.queue.last == .sendMessage(text: "fourth", seq: 13))
    }

    @Test func aCreateInFlightAtTheCrashIsSentAgainWithTheSameBody() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let create = try #require(h.say(c1, "m1", "I want an agent").calls.first)
        try h.commit(to: store)

        var (engine, effects) = try restart(store)
        #expect(effects.withoutLogs == [.call(CallID(1), create.1)])
        #expect(engine.session(s1)?.handover?.state == .requested(queueID: "q"))
        // 8x8 answers the re-sent create; its webhooks find the session.
        _ = engine.callCompleted(CallID(1), result: .response(status: 202, body: JSONValue.object(["conversationId": "Y"]).serializedBytes), now: t0)
        #expect(engine.session(s1)?.handover?.conversationID == "Y")
        let (response, _) = engine.webhook(webhookRequest("QUEUED", conversation: "Y", data: ["queueId": "q"], eventID: "w1"), now: t0)
        #expect(response.jsonBody == ["status": "accepted"])
        #expect(engine.session(s1)?.handover?.state == .queued(queueID: "q", queueName: nil))
    }

    @Test func restoresSeveralSessionsAndResendsInSessionOrder() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        // s1: active handover with a message in flight; s3: bot only; s5: create in flight; s7: ended.
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.say(c1, "m2", "hello agent")
        let c2 = h.connect(2)
        _ = h.hello(c2, name: "Bob")
        let c3 = h.connect(3)
        _ = h.hello(c3, name: "Cy")
        let create = try #require(h.say(c3, "c1", "I want an agent").calls.first)
        let c4 = h.connect(4)
        _ = h.hello(c4, name: "Di")
        _ = h.frame(c4, ["type": "end"])
        try h.commit(to: store)
        #expect(try store.allSessions().map(\.id) == ["s1", "s3", "s5", "s7"])

        let (engine, effects) = try restart(store)
        #expect(effects.withoutLogs == [
            .call(CallID(1), gateway.sendMessage(conversationID: "X", text: "hello agent")),
            .call(CallID(2), create.1),
        ])
        #expect(effects.logs.first?.metadata == ["sessions": "4", "resentCalls": "2", "withHuman": "2"])
        for sid in ["s1", "s3", "s5", "s7"] {
            let original = h.engine.session(SessionID(sid))!
            let restored = try #require(engine.session(SessionID(sid)))
            #expect(restored.log == original.log, "\(sid)")
            #expect(restored.handover == original.handover, "\(sid)")
            #expect(restored.ended == original.ended, "\(sid)")
            #expect(restored.user == original.user, "\(sid)")
        }
        #expect(engine.session(SessionID("s7"))?.ended == true)
    }

    @Test func restoringNothingOnlyRemembersWebhookIds() {
        var engine = RelayEngine(config: testConfig(), identifiers: SequentialIdentifiers())
        let effects = engine.restore([], webhookIDs: ["old-1"], now: t0)
        #expect(effects.withoutLogs.isEmpty)
        #expect(effects.logs.first?.metadata == ["sessions": "0", "resentCalls": "0", "withHuman": "0"])
        #expect(engine.sessions.isEmpty)
        let (response, _) = engine.webhook(webhookRequest("TRANSFER", conversation: "nobody", eventID: "old-1"), now: t0)
        #expect(response.jsonBody == ["status": "duplicate"])
        #expect(engine.takeChanges().isEmpty, "known ids are not written again")
    }
}
