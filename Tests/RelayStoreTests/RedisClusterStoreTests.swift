import Foundation  // UUID
import RelayJSON
import RelayStore
@testable import RedisStore
import Testing

/// Several relay nodes on one Redis (`ClusterStore`): two (or three) `RedisStore`s on the
/// same prefix with different node ids, as two relays behind a load balancer.
@Suite(.enabled(if: RedisTestServer.url != nil, RedisTestServer.skipReason))
struct RedisClusterStoreTests {
    let url = try! RedisURL(parsing: RedisTestServer.url ?? "redis://127.0.0.1:6379/0")

    /// Nodes sharing one fresh prefix.
    final class Cluster {
        let prefix: String
        let url: RedisURL
        private(set) var stores: [RedisStore] = []

        init(url: RedisURL, prefix: String = RedisTestServer.uniquePrefix()) {
            self.url = url
            self.prefix = prefix
        }

        func node(_ id: String) throws -> RedisStore {
            let store = try RedisStore(url: url, options: .init(prefix: prefix, nodeID: id))
            stores.append(store)
            return store
        }

        /// Deletes the prefix's keys and disconnects every node (call in a `defer`).
        func close() {
            try? stores.first?.deleteAllData()
            for store in stores { store.close() }
        }
    }

    func snapshot(_ id: String, _ v: Int = 1) -> StoredSession { StoredSession(id: id, state: ["v": .number(Double(v))]) }

    /// A commit that creates (or continues) `session`: events `seqs` and its snapshot.
    func writing(_ session: String, seqs: [Int], snapshot v: Int = 1) -> StoreCommit {
        var batch = StoreCommit()
        batch.events = seqs.map { event(session, $0) }
        batch.snapshots = [snapshot(session, v)]
        return batch
    }

    func removing(_ session: String) -> StoreCommit {
        var batch = StoreCommit()
        batch.removed = [session]
        return batch
    }

    /// The code and message a store call fails with (nil if it succeeds).
    func failure(_ body: () throws(StoreError) -> Void) -> StoreError? {
        do { try body() } catch { return error }
        return nil
    }

    /// Raw members of one of the cluster's sets.
    func members(_ store: RedisStore, _ name: String) throws -> Set<String> {
        Set(try store.run(["SMEMBERS", store.key(name)]).elements.compactMap(\.text))
    }

    // MARK: commit

    @Test func interleavedCommitsFromTwoNodesGetUniqueIncreasingOffsets() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        var returned: [Int64] = []
        var expected: [(String, Int)] = []
        for round in 1...5 {
            let fromA = try a.commit(writing("sa", seqs: [2 * round - 1, 2 * round], snapshot: round))
            let fromB = try b.commit(writing("sb", seqs: [round], snapshot: round))
            #expect(fromA.count == 2)
            #expect(fromB.count == 1)
            returned += fromA + fromB
            expected += [("sa", 2 * round - 1), ("sa", 2 * round), ("sb", round)]
        }
        #expect(returned == Array(1...15))
        let stored = try a.events(after: 0, limit: 100)
        #expect(stored.map(\.offset) == returned)
        #expect(stored.map(\.sessionID) == expected.map(\.0))
        #expect(stored.map(\.seq) == expected.map(\.1))
        #expect(try b.lastOffset() == 15)
        #expect(try b.session(id: "sa") == snapshot("sa", 5))
        #expect(try a.session(id: "sb") == snapshot("sb", 5))
    }

    @Test func aCommitsOffsetsMatchTheLogEvenAfterAnotherNodesAppend() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        _ = try b.commit(writing("sb", seqs: [1, 2, 3]))
        var batch = writing("sa", seqs: [1, 2])
        batch.keys = [DedupeKey("8x8:evt-1", expiresAt: 2_000)]
        batch.now = 1_000
        let offsets = try a.commit(batch)
        #expect(offsets == [4, 5])
        let stored = try a.events(after: 3, limit: 10)
        #expect(stored == zip(offsets, batch.events).map { StoredEvent(offset: $0, $1) })
        // Nothing to number: no offsets, and nothing written.
        #expect(try a.commit(StoreCommit()) == [])
        var onlySnapshot = StoreCommit()
        onlySnapshot.snapshots = [snapshot("sa", 2)]
        #expect(try a.commit(onlySnapshot) == [])
        #expect(try a.lastOffset() == 5)
        #expect(try a.session(id: "sa") == snapshot("sa", 2))
    }

    @Test func aCommitSentAgainUnderItsIdIsAppliedOnce() throws {
        // What the relay does after a timeout: it cannot know whether Redis applied the batch.
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("a")
        var batch = writing("s", seqs: [1, 2])
        batch.id = "commit-1"
        let first = try a.commit(batch)
        let again = try a.commit(batch)
        #expect(again == first)
        #expect(try a.lastOffset() == first.last)
        #expect(try a.events(session: "s", afterSeq: 0, limit: 10).map(\.seq) == [1, 2])
        // Another batch under a new id is applied normally; without an id a repeat is a duplicate.
        var next = writing("s", seqs: [3])
        next.id = "commit-2"
        #expect(try a.commit(next) == [first.last! + 1])
        next.id = nil
        #expect(failure { () throws(StoreError) in _ = try a.commit(next) }?.code == .duplicate)
    }

    @Test func aDuplicateSeqFailsTheWholeCommit() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A")
        _ = try a.commit(writing("s", seqs: [1]))
        var batch = writing("s", seqs: [2, 1], snapshot: 2)
        batch.conversations = [ConversationLink(conversationID: "X", sessionID: "s")]
        #expect(failure { () throws(StoreError) in _ = try a.commit(batch) }?.code == .duplicate)
        #expect(try a.lastOffset() == 1)
        #expect(try a.session(id: "s") == snapshot("s", 1))
        #expect(try a.session(forConversation: "X") == nil)
        #expect(failure { () throws(StoreError) in _ = try a.commit(writing("s", seqs: [0])) }?.code == .invalid)
    }

    // MARK: fencing

    @Test func aCommitToASessionAnotherNodeOwnsIsFencedAndWritesNothing() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        _ = try a.commit(writing("s", seqs: [1, 2]))   // A's first commit claims s
        let before = try a.events(after: 0, limit: 100)

        // Events, a snapshot, or both: refused, with the session id as the message.
        var onlySnapshot = StoreCommit()
        onlySnapshot.snapshots = [snapshot("s", 9)]
        for batch in [writing("s", seqs: [3], snapshot: 9), onlySnapshot] {
            let error = failure { () throws(StoreError) in _ = try b.commit(batch) }
            #expect(error?.code == .fenced)
            #expect(error?.message == "s")
        }
        // A batch that also writes B's own session writes none of it.
        var mixed = writing("t", seqs: [1])
        mixed.events += [event("s", 3)]
        mixed.conversations = [ConversationLink(conversationID: "Y", sessionID: "t")]
        mixed.keys = [DedupeKey("k", expiresAt: 10)]
        #expect(failure { () throws(StoreError) in _ = try b.commit(mixed) }?.code == .fenced)

        #expect(try a.lastOffset() == 2)
        #expect(try a.events(after: 0, limit: 100) == before)
        #expect(try a.session(id: "s") == snapshot("s", 1))
        #expect(try a.session(id: "t") == nil)
        #expect(try a.events(session: "t", afterSeq: 0, limit: 10).isEmpty)
        #expect(try a.session(forConversation: "Y") == nil)
        #expect(try !a.hasKey("k", now: 0))
        // A goes on writing.
        #expect(try a.commit(writing("s", seqs: [3], snapshot: 3)) == [3])
    }

    @Test func removingOrLinkingASessionAnotherNodeOwnsIsFencedToo() throws {
        // A node presumed dead that sweeps "its" idle session must not delete the snapshot
        // (and ownership) of the node that took the session over.
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        var first = writing("s", seqs: [1])
        first.conversations = [ConversationLink(conversationID: "X", sessionID: "s")]
        _ = try a.commit(first)

        let error = failure { () throws(StoreError) in _ = try b.commit(removing("s")) }
        #expect(error?.code == .fenced)
        #expect(error?.message == "s")
        var relink = StoreCommit()
        relink.conversations = [ConversationLink(conversationID: "Z", sessionID: "s")]
        #expect(failure { () throws(StoreError) in _ = try b.commit(relink) }?.code == .fenced)

        #expect(try a.session(id: "s") == snapshot("s", 1))
        #expect(try a.session(forConversation: "X") == "s")
        #expect(try a.session(forConversation: "Z") == nil)
        #expect(try a.claim(session: "s") == .owned)
        // The owner itself may finish it.
        #expect(try a.commit(removing("s")) == [])
        #expect(try a.session(id: "s") == nil)
    }

    @Test func aSessionRemovedByItsOwnerIsFreeAgain() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        _ = try a.commit(writing("s", seqs: [1]))
        _ = try a.commit(removing("s"))
        #expect(try members(a, "nodesessions:A").isEmpty)
        // Nobody owns it: B's commit claims it (a new life of the id, e.g. after a restore elsewhere).
        #expect(try b.commit(writing("s", seqs: [2])) == [2])
        #expect(try b.claim(session: "s") == .owned)
    }

    @Test func aStoreWithoutANodeIdDoesNotCheckOwnership() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A")
        _ = try a.commit(writing("s", seqs: [1]))
        let single = try RedisStore(url: url, options: .init(prefix: cluster.prefix))
        defer { single.close() }
        #expect(try single.commit(writing("s", seqs: [2], snapshot: 2)) == [2])
        #expect(single.nodeID == "")
        #expect(failure { () throws(StoreError) in try single.heartbeat(ttlMs: 1_000) }?.code == .invalid)
        #expect(failure { () throws(StoreError) in _ = try single.claim(session: "s") }?.code == .invalid)
        #expect(failure { () throws(StoreError) in _ = try single.openListener(afterOffset: 0) }?.code == .invalid)
    }

    // MARK: membership and claims

    @Test func liveNodesAreThoseWithAHeartbeat() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        #expect(try a.liveNodes().isEmpty)
        try a.heartbeat(ttlMs: 60_000)
        try b.heartbeat(ttlMs: 60_000)
        #expect(try a.liveNodes() == ["A", "B"])
        try a.leave()
        #expect(try b.liveNodes() == ["B"])
        #expect(try members(b, "nodes") == ["A", "B"], "registered until its sessions are taken over")
        try a.heartbeat(ttlMs: 60_000)   // back
        #expect(try b.liveNodes() == ["A", "B"])
    }

    @Test func claimFollowsOwnershipAndLiveness() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        try a.heartbeat(ttlMs: 60_000)
        try b.heartbeat(ttlMs: 60_000)
        #expect(try a.claim(session: "s") == .unknown, "no such session")
        _ = try a.commit(writing("s", seqs: [1]))
        #expect(try a.claim(session: "s") == .owned)
        #expect(try b.claim(session: "s") == .ownedBy("A"))

        try a.leave()
        #expect(try b.claim(session: "s") == .takenOver)
        #expect(try b.claim(session: "s") == .owned)
        #expect(try members(b, "nodesessions:A").isEmpty)
        #expect(try members(b, "nodesessions:B") == ["s"])
        // B writes s now; A (presumed dead, still running) is fenced.
        #expect(try b.commit(writing("s", seqs: [2], snapshot: 2)) == [2])
        #expect(failure { () throws(StoreError) in _ = try a.commit(writing("s", seqs: [3], snapshot: 3)) }?.code == .fenced)
        // A coming back finds B alive and owning it.
        try a.heartbeat(ttlMs: 60_000)
        #expect(try a.claim(session: "s") == .ownedBy("B"))
        #expect(try b.events(session: "s", afterSeq: 0, limit: 10).map(\.seq) == [1, 2])
        #expect(try b.session(id: "s") == snapshot("s", 2))

        // A finished session is unknown again.
        _ = try b.commit(removing("s"))
        #expect(try a.claim(session: "s") == .unknown)
        #expect(try b.claim(session: "s") == .unknown)
    }

    @Test func aSessionOwnedByNobodyIsTakenByTheFirstClaim() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        // Written by a single-node store: a snapshot without an owner.
        let single = try RedisStore(url: url, options: .init(prefix: cluster.prefix))
        defer { single.close() }
        try single.putSession(id: "s", state: ["v": 1])
        #expect(try b.claim(session: "s") == .takenOver)
        #expect(try a.claim(session: "s") == .takenOver, "B has no heartbeat: dead")
        try a.heartbeat(ttlMs: 60_000)
        #expect(try b.claim(session: "s") == .ownedBy("A"))
    }

    @Test func takeOverOrphansTakesADeadNodesSessionsInBatches() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B"), c = try cluster.node("C")
        for node in [a, b, c] { try node.heartbeat(ttlMs: 60_000) }
        let ofA = (1...5).map { "a\($0)" }
        for sid in ofA { _ = try a.commit(writing(sid, seqs: [1])) }
        _ = try b.commit(writing("b1", seqs: [1]))
        _ = try c.commit(writing("c1", seqs: [1]))
        try b.post([NodeMessage(node: "A", payload: Array("for A".utf8))])

        #expect(try b.takeOverOrphans(limit: 10).isEmpty, "every node is alive")
        #expect(try b.takeOverOrphans(limit: 0).isEmpty)

        try a.leave()
        let first = try b.takeOverOrphans(limit: 3)
        #expect(first.count == 3)
        #expect(try members(b, "nodes").contains("A"), "A still has sessions")
        let second = try b.takeOverOrphans(limit: 3)
        #expect(second.count == 2)
        #expect(Set(first + second) == Set(ofA))
        // A has nothing left: unregistered, its inbox deleted.
        #expect(try members(b, "nodes") == ["B", "C"])
        #expect(try b.run(["EXISTS", b.key("inbox:A")]).int == 0)
        #expect(try b.takeOverOrphans(limit: 10).isEmpty)
        // Never a live node's sessions, nor its own.
        #expect(try c.claim(session: "c1") == .owned)
        #expect(try b.claim(session: "b1") == .owned)
        for sid in ofA {
            #expect(try b.claim(session: sid) == .owned, "\(sid)")
            #expect(try c.claim(session: sid) == .ownedBy("B"), "\(sid)")
        }
        #expect(try members(b, "nodesessions:B") == Set(ofA + ["b1"]))
        #expect(try b.commit(writing("a1", seqs: [2], snapshot: 2)) == [8])
        #expect(failure { () throws(StoreError) in _ = try a.commit(writing("a2", seqs: [2])) }?.code == .fenced)
    }

    @Test func takeOverSkipsSessionsClaimedAwayOrFinished() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B"), c = try cluster.node("C")
        for node in [b, c] { try node.heartbeat(ttlMs: 60_000) }
        try a.heartbeat(ttlMs: 60_000)
        for sid in ["s1", "s2", "s3"] { _ = try a.commit(writing(sid, seqs: [1])) }
        _ = try a.commit(removing("s3"))
        try a.leave()
        #expect(try c.claim(session: "s1") == .takenOver)
        #expect(try b.takeOverOrphans(limit: 10) == ["s2"])
        #expect(try members(b, "nodes") == ["B", "C"])
    }

    // MARK: conversations

    @Test func aCommittedConversationFindsItsSessionUntilTheSessionIsRemoved() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        #expect(try b.session(forConversation: "X") == nil)
        var batch = writing("s", seqs: [1])
        batch.conversations = [ConversationLink(conversationID: "X", sessionID: "s"), ConversationLink(conversationID: "X2", sessionID: "s")]
        _ = try a.commit(batch)
        var other = writing("t", seqs: [1])
        other.conversations = [ConversationLink(conversationID: "Y", sessionID: "t")]
        _ = try a.commit(other)
        #expect(try b.session(forConversation: "X") == "s")
        #expect(try b.session(forConversation: "X2") == "s")
        #expect(try b.session(forConversation: "Y") == "t")

        _ = try a.commit(removing("s"))
        #expect(try b.session(forConversation: "X") == nil)
        #expect(try b.session(forConversation: "X2") == nil)
        #expect(try b.session(forConversation: "Y") == "t")
        #expect(try b.run(["EXISTS", b.key("convsof:s")]).int == 0)
    }

    @Test func removingASessionKeepsAConversationThatMovedToAnother() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A")
        var batch = writing("s", seqs: [1])
        batch.conversations = [ConversationLink(conversationID: "X", sessionID: "s")]
        _ = try a.commit(batch)
        var moved = writing("t", seqs: [1])
        moved.conversations = [ConversationLink(conversationID: "X", sessionID: "t")]
        _ = try a.commit(moved)
        _ = try a.commit(removing("s"))
        #expect(try a.session(forConversation: "X") == "t")
    }

    // MARK: inboxes and the listener

    @Test func inboxMessagesArriveInOrderAtTheirNodeOnly() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B"), c = try cluster.node("C")
        let listenB = try b.openListener(afterOffset: try b.lastOffset())
        let listenC = try c.openListener(afterOffset: try c.lastOffset())
        defer { listenB.close(); listenC.close() }
        let binary = (0...255).map(UInt8.init)
        try a.post([
            NodeMessage(node: "B", payload: Array("one".utf8)),
            NodeMessage(node: "C", payload: Array("for C".utf8)),
            NodeMessage(node: "B", payload: binary),
            NodeMessage(node: "B", payload: Array("three ✓".utf8)),
        ])
        try c.post([NodeMessage(node: "B", payload: Array("four".utf8))])
        let got = try collect(listenB, messages: 4)
        #expect(got.messages == [Array("one".utf8), binary, Array("three ✓".utf8), Array("four".utf8)])
        #expect(got.events.isEmpty)
        #expect(try collect(listenC, messages: 1).messages == [Array("for C".utf8)])

        // Later posts only: nothing is delivered twice.
        try a.post([NodeMessage(node: "B", payload: Array("five".utf8))])
        #expect(try collect(listenB, messages: 1).messages == [Array("five".utf8)])
        try a.post([])
    }

    @Test func aListenerSeesEveryNodesEventsInOffsetOrder() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        _ = try a.commit(writing("early", seqs: [1, 2]))
        let listener = try b.openListener(afterOffset: 2)
        defer { listener.close() }
        _ = try a.commit(writing("sa", seqs: [1, 2]))
        _ = try b.commit(writing("sb", seqs: [1]))
        _ = try a.commit(writing("sa", seqs: [3]))
        let got = try collect(listener, events: 4)
        #expect(got.events == (try a.events(after: 2, limit: 100)))
        #expect(got.events.map(\.offset) == [3, 4, 5, 6])
        #expect(got.events.map(\.sessionID) == ["sa", "sa", "sb", "sa"])
        #expect(got.events[0].payload == event("sa", 1).payload)

        // A listener opened at the end gets only what comes after.
        let late = try a.openListener(afterOffset: try a.lastOffset())
        defer { late.close() }
        _ = try b.commit(writing("sb", seqs: [2]))
        #expect(try collect(late, events: 1).events.map(\.offset) == [7])
        #expect(try collect(listener, events: 1).events.map(\.offset) == [7])
    }

    @Test func aListenerSeesMessagesAndEventsInOneWait() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        let listener = try b.openListener(afterOffset: 0)
        defer { listener.close() }
        try a.post([NodeMessage(node: "B", payload: [1, 2, 3])])
        _ = try a.commit(writing("s", seqs: [1]))
        let got = try collect(listener, messages: 1, events: 1)
        #expect(got.messages == [[1, 2, 3]])
        #expect(got.events.map(\.offset) == [1])
    }

    /// Waits until `listener` has delivered at least this much (each wait returns as soon as
    /// something is there; the bound only stops a broken listener from hanging the test).
    func collect(_ listener: any ClusterListener, messages: Int = 0, events: Int = 0, logAfter: Int64? = 0) throws -> ClusterDelivery {
        var all = ClusterDelivery()
        for _ in 0..<20 where all.messages.count < messages || all.events.count < events {
            let next = try listener.next(timeoutMs: 2_000, logAfter: logAfter)
            all.messages += next.messages
            all.events += next.events
        }
        #expect(all.messages.count == messages)
        #expect(all.events.count == events)
        return all
    }

    @Test func aListenerNotInterestedInTheLogGetsOnlyItsInboxAndCatchesUpFromTheGivenOffset() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        let listener = try b.openListener(afterOffset: 0)
        defer { listener.close() }
        _ = try a.commit(writing("s", seqs: [1, 2]))
        try a.post([NodeMessage(node: "B", payload: [7])])
        let inboxOnly = try collect(listener, messages: 1, events: 0, logAfter: nil)
        #expect(inboxOnly.messages == [[7]])
        // Interested again from offset 1: event 2 only (event 1 is older than the interest).
        _ = try a.commit(writing("t", seqs: [1]))
        let got = try collect(listener, events: 2, logAfter: 1)
        #expect(got.events.map(\.offset) == [2, 3])
    }

    // MARK: dedupe keys and leases

    @Test func hasKeySeesKeysAnyNodeCommittedUntilTheyExpire() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        var batch = StoreCommit()
        batch.keys = [DedupeKey("8x8:evt-1", expiresAt: 2_000)]
        batch.now = 1_000
        _ = try a.commit(batch)
        #expect(try b.hasKey("8x8:evt-1", now: 1_000))
        #expect(try b.hasKey("8x8:evt-1", now: 1_999))
        #expect(try !b.hasKey("8x8:evt-1", now: 2_000), "expired at its expiry")
        #expect(try !b.hasKey("8x8:evt-2", now: 1_000))
        #expect(try b.rememberKey("8x8:evt-1", now: 1_500, expiresAt: 3_000) == false)
    }

    @Test func aLeaseIsHeldByOneNodeAtATime() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        #expect(try a.lease("feed:crm", ttlMs: 60_000))
        #expect(try !b.lease("feed:crm", ttlMs: 60_000))
        #expect(try a.lease("feed:crm", ttlMs: 60_000), "renewed")
        #expect(try b.lease("feed:other", ttlMs: 60_000), "another lease is independent")
        #expect(try !a.lease("feed:other", ttlMs: 60_000))
        let ttl = try a.run(["PTTL", a.key("lease:feed:crm")]).int ?? -1
        #expect(ttl > 0 && ttl <= 60_000)

        // Expired (as if A stopped renewing): the next node to ask gets it.
        _ = try a.run(["DEL", a.key("lease:feed:crm")])
        #expect(try b.lease("feed:crm", ttlMs: 60_000))
        #expect(try !a.lease("feed:crm", ttlMs: 60_000))
    }

    // MARK: losing the data

    @Test func afterTheDataIsLostCommitsFailUntilReopened() throws {
        // FLUSHDB would wipe the keys of tests running in parallel: a database of its own
        // (not the one RedisStoreTests flushes).
        var target = url
        target.db = (url.db + 2) % 16
        let cluster = Cluster(url: target)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        try a.heartbeat(ttlMs: 60_000)
        _ = try a.commit(writing("s", seqs: [1, 2]))
        let old = a.epoch
        #expect(b.epoch == old)
        #expect(try a.storedEpoch() == old)

        #expect(try a.connection.command(["FLUSHDB"]) == .status("OK"))
        #expect(try a.storedEpoch() == nil)
        let lost = failure { () throws(StoreError) in _ = try a.commit(writing("s", seqs: [3])) }
        #expect(lost?.code == .lost)
        #expect(try a.lastOffset() == 0, "nothing written under the old epoch")

        try a.reopen()
        #expect(a.epoch != old)
        #expect(try a.storedEpoch() == a.epoch)
        #expect(try b.storedEpoch() == a.epoch, "the new epoch is in Redis for every node")
        #expect(failure { () throws(StoreError) in _ = try b.commit(writing("t", seqs: [1])) }?.code == .lost)
        // A new history: A writes its live session again from seq 1.
        #expect(try a.commit(writing("s", seqs: [1, 2, 3], snapshot: 3)) == [1, 2, 3])
        try b.reopen()
        #expect(b.epoch == a.epoch, "the second node joins the history the first one started")
        #expect(try b.commit(writing("t", seqs: [1])) == [4])
        #expect(failure { () throws(StoreError) in _ = try b.commit(writing("s", seqs: [4])) }?.code == .fenced)
    }

    // MARK: session(id:)

    @Test func sessionByIdReadsOneSnapshot() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A"), b = try cluster.node("B")
        #expect(try a.session(id: "s") == nil)
        let state: JSONValue = ["text": "héllo ✓", "n": 3, "list": [1, "x", nil]]
        try a.putSession(id: "s", state: state)
        try a.putSession(id: "s2", state: "other")
        #expect(try b.session(id: "s") == StoredSession(id: "s", state: state))
        #expect(try b.session(id: "S") == nil)
        #expect(try b.session(id: "") == nil)
        try a.removeSession(id: "s")
        #expect(try b.session(id: "s") == nil)
        #expect(try b.session(id: "s2") == StoredSession(id: "s2", state: "other"))
    }

    @Test func aCorruptSnapshotIsReportedNotSkipped() throws {
        let cluster = Cluster(url: url)
        defer { cluster.close() }
        let a = try cluster.node("A")
        _ = try a.run(["HSET", a.key("sessions"), "s", "{not json"])
        #expect(failure { () throws(StoreError) in _ = try a.session(id: "s") }?.code == .corrupt)
    }
}
