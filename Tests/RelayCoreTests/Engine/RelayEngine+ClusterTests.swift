import HTTPModel
import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// What the engine offers a node among several sharing a store: the conversation
/// journal, `adopt`, `release`, `reseed`, and the routing helpers the shell asks first.
@Suite struct RelayEngineClusterTests {
    let s1 = SessionID("s1")
    let s3 = SessionID("s3")

    /// What a node that takes a session over hands to `adopt`: its snapshot (through JSON, as
    /// the store holds it) and its log.
    func saved(_ session: Session) throws -> (SessionSnapshot, [SessionEvent]) {
        (try SessionSnapshot(json: SessionSnapshot(session).json), session.log.events)
    }

    /// Two sessions on one engine (copilot on), nothing taken:
    /// s1 (Ada): agent ag1 active in conversation "X", "hello agent" in flight (call 2);
    /// s3 (Bob): a create in flight (call 3).
    struct TwoSessions {
        var h: EngineHarness
        let c1: ConnectionID, c2: ConnectionID
        /// s3's create call.
        let create: (CallID, OutboundRequest)
        /// The copilot link tokens of s1 and s3.
        let s1Token: String, s3Token: String
    }

    func twoSessions() throws -> TwoSessions {
        var h = EngineHarness(config: copilotTestConfig())
        let c1 = h.connect(1)
        let s1Token = try h.requestAgentWithToken(c1)
        h.agentJoins()
        #expect(h.say(c1, "m3", "hello agent").calls.map(\.0) == [CallID(2)])
        let c2 = h.connect(2)
        _ = h.hello(c2, name: "Bob")
        let create = try #require(h.say(c2, "b1", "I want an agent").calls.first)
        #expect(create.0 == CallID(3))
        let link = try #require(copilotURL(in: create.1))
        let s3Token = try #require(linkQuery(link)["URLToken"])
        return TwoSessions(h: h, c1: c1, c2: c2, create: create, s1Token: s1Token, s3Token: s3Token)
    }

    // MARK: conversations journal

    @Test func aCreatedConversationIsJournaledOnce() throws {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.requestAgent(c1)
        #expect(h.engine.takeChanges().conversations.isEmpty, "no conversation before 8x8 answers")
        _ = h.complete(CallID(1), status: 202, body: ["conversationId": "X"])
        var changes = h.engine.takeChanges()
        #expect(changes.conversations == [ConversationLink(conversationID: "X", sessionID: "s1")])
        // The webhooks that follow route to the session but journal no link again.
        _ = h.webhook("QUEUED", data: ["queueId": "q"])
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
        changes = h.engine.takeChanges()
        #expect(changes.conversations.isEmpty)
        #expect(!changes.events.isEmpty)
        #expect(h.engine.takeChanges().isEmpty)
        #expect(h.engine.session(forConversation: "X") == s1)
    }

    @Test func aConversationAloneIsAChange() {
        var h = EngineHarness()
        _ = h.requestAgent(h.connect(1))
        _ = h.engine.takeChanges()
        h.engine.registerCreated(conversation: "Y", for: s1)
        #expect(h.engine.hasChanges)
        let changes = h.engine.takeChanges()
        #expect(!changes.isEmpty)
        #expect(changes.conversations == [ConversationLink(conversationID: "Y", sessionID: "s1")])
        #expect(changes.events.isEmpty)
        #expect(!h.engine.hasChanges)
    }

    @Test func restoringAndAdoptingJournalNoConversation() throws {
        var h = EngineHarness()
        let store = InMemoryStore()
        h.activeHandover(h.connect(1))
        try h.commit(to: store)

        var restored = RelayEngine(config: testConfig(), identifiers: SequentialIdentifiers())
        let (sessions, ids) = try savedState(store)
        _ = restored.restore(sessions, webhookIDs: ids, now: t0)
        #expect(restored.session(forConversation: "X") == s1)
        #expect(restored.takeChanges().isEmpty)

        var adopter = RelayEngine(config: testConfig(), identifiers: SequentialIdentifiers())
        _ = adopter.adopt([try saved(h.s1)], now: t0)
        #expect(adopter.session(forConversation: "X") == s1)
        #expect(!adopter.hasChanges)
        #expect(adopter.takeChanges().isEmpty)
    }

    // MARK: adopt

    @Test func adoptHoldsTheSessionRegistersItsConversationAndResendsItsCalls() throws {
        let a = try twoSessions().h
        var b = EngineHarness(config: copilotTestConfig())
        #expect(!b.engine.holds(s1))
        let effects = b.engine.adopt([try saved(a.engine.session(s1)!)], now: t0)
        #expect(effects == [.call(CallID(1), gateway.sendMessage(conversationID: "X", text: "hello agent"))])
        #expect(b.engine.holds(s1))
        #expect(b.engine.session(s1)?.log == a.engine.session(s1)?.log)
        #expect(b.engine.session(s1)?.handover == a.engine.session(s1)?.handover)
        #expect(b.engine.session(forConversation: "X") == s1)
        #expect(b.engine.knowsCall(CallID(1)))
        // Its webhooks are routed to it now.
        let (response, _) = b.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "Still there?"])
        #expect(response.jsonBody == ["status": "accepted"])
        #expect(b.engine.session(s1)?.log.events.last?.message == .init(from: .agent, text: "Still there?", agentID: "ag1"))
    }

    @Test func adoptPumpsOnlyTheAdoptedSessionsAndLeavesAHeldOneAsItIs() throws {
        let two = try twoSessions()
        let a = two.h, aCreate = two.create
        // b holds an s1 of its own (same id: both count from 1), with its own create in flight.
        var b = EngineHarness(config: copilotTestConfig())
        let c1 = b.connect(1)
        _ = b.hello(c1, name: "Cy")
        #expect(b.say(c1, "m1", "I want an agent").calls.map(\.0) == [CallID(1)])
        _ = b.engine.takeChanges()
        let before = b.s1

        let effects = b.engine.adopt([try saved(a.engine.session(s1)!), try saved(a.engine.session(s3)!)], now: t0)
        // Only s3's create goes out (as b's next call): b's own s1 create is in flight already,
        // and a's s1 was not adopted, so its "hello agent" is not sent.
        #expect(effects == [.call(CallID(2), aCreate.1)])
        #expect(b.s1 == before)
        #expect(b.s1.user.name == "Cy")
        #expect(b.engine.session(forConversation: "X") == nil, "the conversation of the s1 not adopted")
        #expect(b.engine.holds(s3))
        #expect(b.engine.session(s3)?.user.name == "Bob")
        #expect(b.engine.knowsCall(CallID(1)))
        #expect(b.engine.knowsCall(CallID(2)))
        #expect(b.engine.takeChanges().isEmpty, "adopted sessions are in the store already")
    }

    @Test func adoptingTheSameSessionTwiceSendsItsCallsOnce() throws {
        let a = try twoSessions().h
        var b = EngineHarness(config: copilotTestConfig())
        let state = try saved(a.engine.session(s1)!)
        #expect(b.engine.adopt([state], now: t0).calls.count == 1)
        #expect(b.engine.adopt([state], now: t0).isEmpty)
        #expect(b.engine.adopt([], now: t0).isEmpty)
    }

    // MARK: release

    @Test func releaseClosesTheSessionsClientsForgetsItsCallsAndJournal() throws {
        let two = try twoSessions()
        var h = two.h
        let c1 = two.c1, c2 = two.c2
        // Copilot watchers on both sessions.
        let (w1, _) = h.watch(101, token: two.s1Token)
        let (w3, _) = h.watch(103, session: "s3", token: two.s3Token)
        #expect(h.engine.isAttached(w1, channel: .copilot))
        #expect(h.engine.knowsCall(CallID(2)))

        let effects = h.engine.release(s1)
        #expect(effects.withoutLogs == [
            .close(c1, code: 1012, reason: "session moved"),
            .close(w1, code: 1012, reason: "session moved"),
        ])
        #expect(effects.logs.map(\.message) == ["gave up a session another node owns now"])
        #expect(!h.engine.holds(s1))
        #expect(!h.engine.isAttached(c1, channel: .chat))
        #expect(!h.engine.isAttached(w1, channel: .copilot))
        #expect(!h.engine.knowsCall(CallID(2)))
        #expect(h.engine.session(forConversation: "X") == nil)

        // Nothing of s1 is written; s3's changes are all there.
        let changes = h.engine.takeChanges()
        #expect(!changes.events.isEmpty)
        #expect(changes.events.allSatisfy { $0.sessionID == "s3" })
        #expect(changes.events.map(\.seq) == Array(1...changes.events.count))
        #expect(changes.snapshots.map(\.id) == ["s3"])
        #expect(changes.conversations.isEmpty)
        #expect(changes.finished.isEmpty)

        // s3 is untouched.
        #expect(h.engine.holds(s3))
        #expect(h.engine.isAttached(c2, channel: .chat))
        #expect(h.engine.isAttached(w3, channel: .copilot))
        #expect(h.engine.knowsCall(CallID(3)))

        // The released call's result is dropped; a webhook for its conversation finds nobody.
        let late = h.complete(CallID(2), status: 202)
        #expect(late.withoutLogs.isEmpty)
        let (_, webhookEffects) = h.webhook("MESSAGE", data: ["sender": ["id": "ag1", "type": "agent"], "text": "hi"])
        #expect(webhookEffects.texts(to: c1).isEmpty)
        #expect(h.engine.session(s1) == nil)
    }

    @Test func releasingAnUnknownSessionDoesNothing() throws {
        var h = try twoSessions().h
        _ = h.engine.takeChanges()
        #expect(h.engine.release(SessionID("nope")).isEmpty)
        #expect(h.engine.holds(s1))
        #expect(h.engine.holds(s3))
        #expect(!h.engine.hasChanges)
    }

    @Test func aReleasedSessionCanBeAdoptedBack() throws {
        var h = try twoSessions().h
        _ = h.engine.takeChanges()
        let state = try saved(h.s1)
        _ = h.engine.release(s1)
        let effects = h.engine.adopt([state], now: t0)
        #expect(h.engine.holds(s1))
        #expect(effects.calls.map(\.1) == [gateway.sendMessage(conversationID: "X", text: "hello agent")])
        #expect(h.engine.session(forConversation: "X") == s1)
    }

    // MARK: reseed

    @Test func reseedJournalsEveryLiveSessionAgain() throws {
        var h = try twoSessions().h
        let old = InMemoryStore()
        try h.commit(to: old)
        #expect(!h.engine.hasChanges)

        h.engine.reseed()
        let changes = h.engine.takeChanges()
        let s1Events = h.engine.session(s1)!.log.events, s3Events = h.engine.session(s3)!.log.events
        #expect(changes.events.map { "\($0.sessionID)#\($0.seq)" }
            == s1Events.map { "s1#\($0.seq)" } + s3Events.map { "s3#\($0.seq)" })
        #expect(changes.events.filter { $0.sessionID == "s1" }.map(\.seq) == Array(1...s1Events.count))
        #expect(changes.events.map(\.kind) == (s1Events + s3Events).map(\.typeName))
        #expect(changes.snapshots.map(\.id) == ["s1", "s3"])
        #expect(changes.conversations == [ConversationLink(conversationID: "X", sessionID: "s1")])
        #expect(h.engine.takeChanges().isEmpty, "journaled once")

        // Written to an empty store (the new epoch), it restores the same sessions.
        let fresh = InMemoryStore()
        try persist(changes, to: fresh)
        var engine = RelayEngine(config: testConfig(), identifiers: SequentialIdentifiers())
        let (sessions, _) = try savedState(fresh)
        _ = engine.restore(sessions, webhookIDs: [], now: t0)
        for sid in [s1, s3] {
            #expect(engine.session(sid)?.log == h.engine.session(sid)?.log, "\(sid)")
            #expect(engine.session(sid)?.handover == h.engine.session(sid)?.handover, "\(sid)")
            #expect(engine.session(sid)?.outbox.queue == h.engine.session(sid)?.outbox.queue, "\(sid)")
        }
        #expect(engine.session(forConversation: "X") == s1)
    }

    @Test func reseededEventsAreLoggedAsTheyWereFirst() throws {
        // The payloads carry the handover's provider and queue only from the handover on,
        // as when the events were first journaled: a stream filtered by provider must not
        // see a session's bot-only part after an epoch change when it did not before.
        var h = try twoSessions().h
        let first = h.engine.takeChanges().events
        h.engine.reseed()
        let again = h.engine.takeChanges().events
        func key(_ e: NewEvent) -> String { "\(e.sessionID)#\(e.seq)" }
        #expect(again.map(key).sorted() == first.map(key).sorted())
        let original = Dictionary(uniqueKeysWithValues: first.map { (key($0), $0) })
        for event in again {
            #expect(event == original[key(event)], "\(key(event))")
        }
        #expect(again.first { $0.sessionID == "s1" && $0.seq == 1 }.map { LogPayload.provider($0.payload) } == .some(nil))
    }

    @Test func reseedSupersedesChangesNotYetTaken() throws {
        var h = try twoSessions().h
        h.engine.reseed()
        let changes = h.engine.takeChanges()
        // Each event once, even those journaled before the reseed and not taken.
        let keys = changes.events.map { "\($0.sessionID)#\($0.seq)" }
        #expect(Set(keys).count == keys.count)
        #expect(changes.snapshots.map(\.id) == ["s1", "s3"])
        #expect(changes.conversations.count == 1)
        #expect(throws: Never.self) { try persist(changes, to: InMemoryStore()) }
    }

    @Test func reseedOfAnEmptyEngineJournalsNothing() {
        var engine = RelayEngine(config: testConfig(), identifiers: SequentialIdentifiers())
        engine.reseed()
        #expect(!engine.hasChanges)
    }

    // MARK: routing helpers

    @Test func isAttachedOnlyForConnectionsBoundToASessionOnThatChannel() throws {
        var h = EngineHarness(config: copilotTestConfig())
        let c1 = h.connect(1)
        #expect(!h.engine.isAttached(c1, channel: .chat), "connected, no hello yet")
        #expect(!h.engine.isAttached(ConnectionID(99), channel: .chat), "unknown")
        let token = try h.requestAgentWithToken(c1)
        #expect(h.engine.isAttached(c1, channel: .chat))
        #expect(!h.engine.isAttached(c1, channel: .copilot))

        let w = ConnectionID(101)
        h.engine.copilotConnected(w)
        #expect(!h.engine.isAttached(w, channel: .copilot), "no subscribe yet")
        _ = h.subscribe(w, token: token)
        #expect(h.engine.isAttached(w, channel: .copilot))
        #expect(!h.engine.isAttached(w, channel: .chat))

        h.engine.chatDisconnected(c1)
        #expect(!h.engine.isAttached(c1, channel: .chat))
        h.engine.copilotDisconnected(w)
        #expect(!h.engine.isAttached(w, channel: .copilot))
    }

    @Test(arguments: [
        (#"{"type":"hello","sessionId":"s9","resumeToken":"t","lastSeq":3}"#, "s9"),
        (#"{"type":"hello","sessionId":"sé-ü"}"#, "sé-ü"),
        (#"{"type":"hello","user":{"name":"Ada"}}"#, nil),
        (#"{"type":"hello","sessionId":""}"#, nil),
        (#"{"type":"hello","sessionId":7}"#, nil),
        (#"{"type":"hello","sessionId":null}"#, nil),
        (#"{"type":"message","sessionId":"s1","id":"m1","text":"hi"}"#, nil),
        (#"{"type":"subscribe","sessionId":"s1","token":"t"}"#, nil),
        (#"{"sessionId":"s1"}"#, nil),
        (#"{"type":"hello","sessionId":"s1""#, nil),
        ("hello", nil),
        ("", nil),
        (#"["hello"]"#, nil),
    ] as [(String, String?)])
    func sessionNamedInAChatFrame(_ frame: String, _ expected: String?) {
        #expect(RelayEngine.sessionNamed(inChatFrame: frame) == expected.map(SessionID.init))
    }

    @Test(arguments: [
        (#"{"type":"subscribe","sessionId":"s1","token":"t"}"#, "s1"),
        (#"{"type":"subscribe","sessionId":"s3","token":"t","lastPos":4}"#, "s3"),
        (#"{"type":"subscribe","sessionId":"s3"}"#, "s3"),
        (#"{"type":"subscribe","token":"t"}"#, nil),
        (#"{"type":"subscribe","sessionId":"","token":"t"}"#, nil),
        (#"{"type":"subscribe","sessionId":5,"token":"t"}"#, nil),
        (#"{"type":"hello","sessionId":"s1"}"#, nil),
        (#"{"type":"subscribe","sessionId":"s1""#, nil),
        ("subscribe", nil),
    ] as [(String, String?)])
    func sessionNamedInACopilotFrame(_ frame: String, _ expected: String?) {
        #expect(RelayEngine.sessionNamed(inCopilotFrame: frame) == expected.map(SessionID.init))
    }

    @Test func theRoutingHelpersDoNotActOnTheFrame() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = RelayEngine.sessionNamed(inChatFrame: #"{"type":"hello","sessionId":"s1"}"#)
        #expect(h.engine.sessions.isEmpty)
        #expect(!h.engine.isAttached(c1, channel: .chat))
        #expect(!h.engine.hasChanges)
    }
}
