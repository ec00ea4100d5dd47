import RelayJSON
import RelayStore
import Testing

/// One behavioural contract for every `EventStore`, run against each backend.
@Suite struct StoreConformanceTests {
    // MARK: offsets and seq

    @Test(arguments: Backend.allCases)
    func offsetsIncreaseStrictlyAcrossSessions(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.lastOffset() == 0)
        #expect(try f.store.firstOffset() == nil)
        #expect(try f.store.append([]) == [])
        #expect(try f.store.append([event("a", 1), event("b", 1)]) == [1, 2])
        #expect(try f.store.append([event("a", 2)]) == [3])
        #expect(try f.store.append([event("c", 1), event("b", 2), event("a", 3)]) == [4, 5, 6])
        #expect(try f.store.lastOffset() == 6)
        #expect(try f.store.firstOffset() == 1)

        let all = try f.store.events(after: 0, limit: 100)
        #expect(all.map(\.offset) == [1, 2, 3, 4, 5, 6])
        #expect(all.map(\.sessionID) == ["a", "b", "a", "c", "b", "a"])
        #expect(all.map(\.seq) == [1, 1, 2, 1, 2, 3])
        #expect(all[0] == StoredEvent(offset: 1, event("a", 1)))
    }

    @Test(arguments: Backend.allCases)
    func perSessionReadsFollowSeq(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        try f.store.append([event("a", 1), event("b", 1), event("a", 2), event("b", 2), event("a", 3), event("a", 4)])
        #expect(try f.store.events(session: "a", afterSeq: 0, limit: 100).map(\.seq) == [1, 2, 3, 4])
        #expect(try f.store.events(session: "a", afterSeq: 1, limit: 2).map(\.seq) == [2, 3])
        #expect(try f.store.events(session: "a", afterSeq: 1, limit: 2).map(\.offset) == [3, 5])
        #expect(try f.store.events(session: "a", afterSeq: 4, limit: 100).isEmpty)
        #expect(try f.store.events(session: "b", afterSeq: 0, limit: 100).map(\.offset) == [2, 4])
        #expect(try f.store.events(session: "nobody", afterSeq: 0, limit: 100).isEmpty)
        #expect(try f.store.events(session: "a", afterSeq: 0, limit: 0).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func duplicateSeqRefusesTheWholeBatch(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        try f.store.append([event("a", 1), event("a", 2)])

        // Against stored events: the new session's event in the same batch is not written.
        #expect(errorCode { () throws(StoreError) in try f.store.append([event("b", 1), event("a", 2)]) } == .duplicate)
        // Within the batch.
        #expect(errorCode { () throws(StoreError) in try f.store.append([event("c", 1), event("c", 1)]) } == .duplicate)
        // Invalid seq.
        #expect(errorCode { () throws(StoreError) in try f.store.append([event("d", 1), event("d", 0)]) } == .invalid)

        #expect(try f.store.events(after: 0, limit: 100).map(\.sessionID) == ["a", "a"])
        #expect(try f.store.events(session: "b", afterSeq: 0, limit: 10).isEmpty)
        #expect(try f.store.lastOffset() == 2)
        // Refused batches consume no offsets.
        #expect(try f.store.append([event("b", 1)]) == [3])
    }

    @Test(arguments: Backend.allCases)
    func readsAfterAnOffsetPageWithLimits(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        try f.store.append((1...10).map { event("s\($0 % 3)", ($0 + 2) / 3) })
        #expect(try f.store.events(after: 3, limit: 4).map(\.offset) == [4, 5, 6, 7])
        #expect(try f.store.events(after: 7, limit: 100).map(\.offset) == [8, 9, 10])
        #expect(try f.store.events(after: 10, limit: 100).isEmpty)
        #expect(try f.store.events(after: 99, limit: 100).isEmpty)
        #expect(try f.store.events(after: -5, limit: 2).map(\.offset) == [1, 2])
        #expect(try f.store.events(after: 0, limit: 0).isEmpty)

        // Paging through the whole log.
        var position: Int64 = 0
        var seen: [Int64] = []
        while true {
            let page = try f.store.events(after: position, limit: 3)
            guard let last = page.last else { break }
            seen += page.map(\.offset)
            position = last.offset
        }
        #expect(seen == Array(1...10))
    }

    @Test(arguments: Backend.allCases)
    func payloadsRoundTrip(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        let payload: JSONValue = [
            "text": "héllo \"quoted\" \n ✓ 😀 \u{0}",
            "n": 1.5, "big": 9_007_199_254_740_991, "neg": -3, "flag": false, "none": nil,
            "list": [1, "two", ["three": [3]]], "empty": [:],
        ]
        let e = NewEvent(sessionID: "sess/ü", seq: 1, ts: -42, kind: "handover", payload: payload)
        try f.store.append([e])
        try f.reopen()
        #expect(try f.store.events(session: "sess/ü", afterSeq: 0, limit: 1) == [StoredEvent(offset: 1, e)])
    }

    // MARK: retention

    @Test(arguments: Backend.allCases)
    func pruneByAgeSparesLiveSessions(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        // Offsets 1...6: old events of a finished and a live session, then new ones.
        try f.store.append([event("done", 1, ts: 100), event("live", 1, ts: 100), event("done", 2, ts: 200)])
        try f.store.append([event("live", 2, ts: 300), event("done", 3, ts: 900), event("new", 1, ts: 950)])
        try f.store.putSession(id: "live", state: ["state": "active"])

        #expect(try f.store.prune(olderThan: 250, maxEvents: nil) == 2)   // done#1, done#2
        #expect(try f.store.events(after: 0, limit: 100).map(\.offset) == [2, 4, 5, 6])
        #expect(try f.store.firstOffset() == 2)
        #expect(try f.store.lastOffset() == 6)
        #expect(try f.store.prunedThrough() == 3)
        #expect(try f.store.events(session: "live", afterSeq: 0, limit: 10).map(\.seq) == [1, 2])

        // A reader at 1 missed offset 3 (a hole behind the live session's event 2); at 3 it is fine.
        #expect(try f.store.canResume(after: 1) == false)
        #expect(try f.store.canResume(after: 3))
        #expect(try f.store.canResume(after: 6))
        #expect(try f.store.canResume(after: 7) == false)

        // Nothing more to remove by that age.
        #expect(try f.store.prune(olderThan: 250, maxEvents: nil) == 0)
        #expect(try f.store.prunedThrough() == 3)

        // Once the session is finished its events go too.
        try f.store.removeSession(id: "live")
        #expect(try f.store.prune(olderThan: 1_000, maxEvents: nil) == 4)
        #expect(try f.store.firstOffset() == nil)
        #expect(try f.store.lastOffset() == 6)
        #expect(try f.store.prunedThrough() == 6)
        #expect(try f.store.canResume(after: 6))

        // Offsets are never reused, and a pruned (session, seq) may be written again.
        try f.reopen()
        #expect(try f.store.append([event("new", 2), event("done", 1)]) == [7, 8])
        #expect(try f.store.prunedThrough() == 6)
        #expect(try f.store.firstOffset() == 7)
    }

    @Test(arguments: Backend.allCases)
    func pruneBySizeKeepsTheNewest(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        try f.store.append((1...10).map { event("s\($0)", 1, ts: Int64($0)) })
        try f.store.putSession(id: "s2", state: true)

        #expect(try f.store.prune(olderThan: nil, maxEvents: 20) == 0)
        #expect(try f.store.prune(olderThan: nil, maxEvents: 4) == 6)      // 1, 3, 4, 5, 6, 7 (2 is live)
        #expect(try f.store.events(after: 0, limit: 100).map(\.offset) == [2, 8, 9, 10])
        #expect(try f.store.prunedThrough() == 7)

        // A soft cap: the live session's event stays even at 0.
        #expect(try f.store.prune(olderThan: nil, maxEvents: 0) == 3)
        #expect(try f.store.events(after: 0, limit: 100).map(\.offset) == [2])
        #expect(try f.store.firstOffset() == 2)
        #expect(try f.store.prunedThrough() == 10)

        // Age and size together: age first, then size.
        try f.store.append((11...15).map { event("t\($0)", 1, ts: Int64($0)) })
        #expect(try f.store.prune(olderThan: 13, maxEvents: 2) == 4)       // 11, 12 by age; 13, 14 by size
        #expect(try f.store.events(after: 0, limit: 100).map(\.offset) == [2, 15])
    }

    // MARK: epoch

    @Test(arguments: Backend.allCases)
    func epochSurvivesReopenAndChangesWhenHistoryIsLost(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        let epoch = f.store.epoch
        #expect(epoch.count == 16)
        try f.store.append([event("a", 1), event("a", 2)])

        try f.reopen()
        #expect(f.store.epoch == epoch)
        #expect(try f.store.lastOffset() == 2)
        #expect(try f.store.events(session: "a", afterSeq: 0, limit: 10).map(\.seq) == [1, 2])
        #expect(try f.store.append([event("a", 3)]) == [3])

        try f.fresh()
        #expect(f.store.epoch != epoch)
        #expect(try f.store.lastOffset() == 0)
        #expect(try f.store.events(after: 0, limit: 10).isEmpty)
    }

    // MARK: sessions

    @Test(arguments: Backend.allCases)
    func sessionSnapshotsSurviveReopen(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.allSessions().isEmpty)
        try f.store.putSession(id: "s2", state: ["state": "queued", "conversationId": "c-2"])
        try f.store.putSession(id: "s1", state: ["state": "bot"])
        try f.store.putSession(id: "s3", state: ["state": "active", "conversationId": "c-3"])
        try f.store.putSession(id: "s1", state: ["state": "active", "conversationId": "c-1"])   // replaces
        try f.store.removeSession(id: "s3")
        try f.store.removeSession(id: "unknown")

        try f.reopen()
        #expect(try f.store.allSessions() == [
            StoredSession(id: "s1", state: ["state": "active", "conversationId": "c-1"]),
            StoredSession(id: "s2", state: ["state": "queued", "conversationId": "c-2"]),
        ])
    }

    // MARK: dedupe keys

    @Test(arguments: Backend.allCases)
    func dedupeKeysExpire(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.rememberKey("evt-1", now: 0, expiresAt: 100))
        #expect(try f.store.rememberKey("evt-1", now: 50, expiresAt: 500) == false)   // duplicate; expiry unchanged
        #expect(try f.store.rememberKey("evt-2", now: 50, expiresAt: 300))

        try f.reopen()
        #expect(try f.store.rememberKey("evt-1", now: 99, expiresAt: 500) == false)
        #expect(try f.store.rememberKey("evt-1", now: 100, expiresAt: 400))           // had expired: replaced
        #expect(try f.store.rememberKey("evt-1", now: 399, expiresAt: 900) == false)

        #expect(try f.store.forgetExpiredKeys(now: 300) == 1)                          // evt-2
        #expect(try f.store.forgetExpiredKeys(now: 300) == 0)
        #expect(try f.store.rememberKey("evt-2", now: 300, expiresAt: 600))
    }

    @Test(arguments: Backend.allCases)
    func liveKeysListsUnexpiredKeysAcrossReopen(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.liveKeys(now: 0).isEmpty)
        #expect(try f.store.rememberKey("b", now: 0, expiresAt: 100))
        #expect(try f.store.rememberKey("a", now: 0, expiresAt: 300))
        try f.reopen()
        #expect(try f.store.liveKeys(now: 99) == ["a", "b"])
        #expect(try f.store.liveKeys(now: 100) == ["a"])
    }

    // MARK: consumer cursors

    @Test(arguments: Backend.allCases)
    func cursorsSurviveReopenAndMove(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.cursor("webhook:crm") == nil)
        try f.store.setCursor("webhook:crm", to: 7)
        try f.store.setCursor("webhook:bi", to: 3)
        try f.reopen()
        #expect(try f.store.cursor("webhook:crm") == 7)
        try f.store.setCursor("webhook:crm", to: 9)
        #expect(try f.store.cursor("webhook:crm") == 9)
        #expect(try f.store.cursor("webhook:bi") == 3)
    }

    @Test(arguments: Backend.allCases)
    func firstOffsetSinceFindsTheFirstEventAtOrAfterATime(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        #expect(try f.store.firstOffset(since: 0) == nil)
        try f.store.append([NewEvent(sessionID: "a", seq: 1, ts: 100, kind: "message", payload: nil),
                            NewEvent(sessionID: "a", seq: 2, ts: 200, kind: "message", payload: nil),
                            NewEvent(sessionID: "b", seq: 1, ts: 200, kind: "message", payload: nil),
                            NewEvent(sessionID: "b", seq: 2, ts: 300, kind: "message", payload: nil)])
        #expect(try f.store.firstOffset(since: 0) == 1)
        #expect(try f.store.firstOffset(since: 150) == 2)
        #expect(try f.store.firstOffset(since: 200) == 2)
        #expect(try f.store.firstOffset(since: 301) == nil)
    }

    // MARK: transactions

    @Test(arguments: Backend.allCases)
    func transactionsCommitOrUndoEverything(_ backend: Backend) throws {
        let f = try StoreFixture(backend)
        let store = f.store

        // The user's message and the snapshot whose outbox forwards it, atomically.
        let offsets = try store.transaction { () throws(StoreError) -> [Int64] in
            let offsets = try store.append([event("s", 1)])
            try store.setCursor("c", to: 1)
            return offsets
        }
        #expect(offsets == [1])

        // A failure undoes every write of the unit, of every kind.
        let code = errorCode { () throws(StoreError) in
            try store.transaction { () throws(StoreError) in
                try store.append([event("s", 2)])
                try store.putSession(id: "s", state: "x")
                _ = try store.rememberKey("k", now: 0, expiresAt: 10)
                try store.setCursor("c", to: 2)
                try store.append([event("s", 1)])   // duplicate seq
            }
        }
        #expect(code == .duplicate)
        #expect(try store.lastOffset() == 1)
        #expect(try store.allSessions().isEmpty)
        #expect(try store.rememberKey("k", now: 0, expiresAt: 10))
        #expect(try store.cursor("c") == 1)

        // Nested: an inner failure the outer body handles undoes only the inner part.
        try store.transaction { () throws(StoreError) in
            try store.append([event("s", 2)])
            let inner = errorCode { () throws(StoreError) in
                try store.transaction { () throws(StoreError) in
                    try store.putSession(id: "s", state: "inner")
                    try store.append([event("s", 2)])   // duplicate
                }
            }
            #expect(inner == .duplicate)
            try store.putSession(id: "s", state: "outer")
        }
        try f.reopen()
        #expect(try f.store.events(session: "s", afterSeq: 0, limit: 10).map(\.offset) == [1, 2])
        #expect(try f.store.allSessions() == [StoredSession(id: "s", state: "outer")])
        #expect(try f.store.append([event("s", 3)]) == [3])
    }
}
