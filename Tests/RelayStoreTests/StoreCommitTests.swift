import RelayJSON
import RelayStore
import Testing

/// `commit` (one service turn in one atomic unit) and `session(id:)` on every backend:
/// the generic implementations (InMemory, SQLite) and Redis's own.
@Suite struct StoreCommitTests {
    @Test(arguments: Backend.allCases)
    func aCommitWritesEverythingAndReturnsTheOffsets(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        try f.store.append([event("x", 1)])
        var batch = StoreCommit()
        #expect(batch.isEmpty)
        batch.events = [event("a", 1), event("b", 1), event("a", 2)]
        batch.snapshots = [StoredSession(id: "a", state: ["v": 1]), StoredSession(id: "b", state: ["v": 2])]
        batch.removed = ["x"]
        batch.keys = [DedupeKey("k1", expiresAt: 2_000), DedupeKey("k2", expiresAt: 3_000)]
        batch.now = 1_000
        batch.conversations = [ConversationLink(conversationID: "X", sessionID: "a")]
        #expect(!batch.isEmpty)
        #expect(batch.sessionsWritten == ["a", "b", "x"])

        let offsets = try f.store.commit(batch)
        #expect(offsets == [2, 3, 4])
        #expect(try f.store.events(after: 1, limit: 10) == zip(offsets, batch.events).map { StoredEvent(offset: $0, $1) })
        #expect(try f.store.allSessions().map(\.id) == ["a", "b"])
        #expect(try f.store.liveKeys(now: 1_000).sorted() == ["k1", "k2"])
        #expect(try f.store.rememberKey("k1", now: 1_500, expiresAt: 5_000) == false)
        #expect(try f.store.commit(StoreCommit()) == [])
        #expect(try f.store.lastOffset() == 4)
    }

    @Test(arguments: Backend.allCases)
    func aFailedCommitWritesNothing(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        try f.store.append([event("a", 1)])
        var batch = StoreCommit()
        batch.events = [event("b", 1), event("a", 1)]
        batch.snapshots = [StoredSession(id: "b", state: ["v": 1])]
        batch.keys = [DedupeKey("k", expiresAt: 10)]
        #expect(errorCode { () throws(StoreError) in _ = try f.store.commit(batch) } == .duplicate)
        #expect(try f.store.lastOffset() == 1)
        #expect(try f.store.allSessions().isEmpty)
        #expect(try f.store.liveKeys(now: 0).isEmpty)
    }

    @Test func sessionsWrittenListsEachSessionOnceInOrder() {
        var batch = StoreCommit()
        batch.events = [event("b", 1), event("a", 1), event("b", 2)]
        batch.snapshots = [StoredSession(id: "c", state: 1), StoredSession(id: "a", state: 1)]
        #expect(batch.sessionsWritten == ["b", "a", "c"])
        // Removing a session or linking a conversation to it writes to it too.
        batch.removed = ["d", "b"]
        batch.conversations = [ConversationLink(conversationID: "X", sessionID: "e"), ConversationLink(conversationID: "Y", sessionID: "a")]
        #expect(batch.sessionsWritten == ["b", "a", "c", "d", "e"])
        #expect(StoreCommit().sessionsWritten.isEmpty)
        var onlyConversations = StoreCommit()
        onlyConversations.conversations = [ConversationLink(conversationID: "X", sessionID: "s")]
        #expect(!onlyConversations.isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func sessionByIdFindsOneSnapshot(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.session(id: "a") == nil)
        try f.store.putSession(id: "a", state: ["v": 1, "text": "héllo"])
        try f.store.putSession(id: "b", state: ["v": 2])
        try f.store.putSession(id: "a", state: ["v": 3])
        #expect(try f.store.session(id: "a") == StoredSession(id: "a", state: ["v": 3]))
        #expect(try f.store.session(id: "b") == StoredSession(id: "b", state: ["v": 2]))
        #expect(try f.store.session(id: "A") == nil)
        try f.store.removeSession(id: "a")
        #expect(try f.store.session(id: "a") == nil)
        try f.reopen()
        #expect(try f.store.session(id: "b") == StoredSession(id: "b", state: ["v": 2]))
    }
}
