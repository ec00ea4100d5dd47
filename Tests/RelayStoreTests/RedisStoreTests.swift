import Foundation  // UUID
import RelayJSON
import RelayStore
@testable import RedisStore
import Testing

/// What only the Redis backend has: a shared server, key prefixes, losing data under a live store.
@Suite(.enabled(if: RedisTestServer.url != nil, RedisTestServer.skipReason))
struct RedisStoreTests {
    let url = try! RedisURL(parsing: RedisTestServer.url ?? "redis://127.0.0.1:6379/0")

    /// Opens a store on its own prefix (and, for tests that FLUSHDB, its own database).
    private func open(prefix: String = RedisTestServer.uniquePrefix(), db: Int? = nil) throws -> RedisStore {
        var target = url
        if let db { target.db = db }
        return try RedisStore(url: target, options: .init(prefix: prefix))
    }

    @Test func epochChangesAfterFlushdbAndSurvivesReopen() throws {
        // FLUSHDB would wipe the keys of tests running in parallel: use a database of its own.
        let db = (url.db + 1) % 16
        let prefix = RedisTestServer.uniquePrefix()
        let store = try open(prefix: prefix, db: db)
        defer { try? store.deleteAllData(); store.close() }
        try store.append([event("a", 1), event("a", 2)])

        let reopened = try open(prefix: prefix, db: db)
        #expect(reopened.epoch == store.epoch)
        #expect(try reopened.lastOffset() == 2)
        reopened.close()

        // History lost: the open store refuses to write offsets under its old epoch…
        #expect(try store.connection.command(["FLUSHDB"]) == .status("OK"))
        do {
            try store.append([event("a", 3)])
            Issue.record("appended after the history was lost")
        } catch {
            #expect(error.code == .lost)
            #expect(error.message.contains("epoch changed"))
        }
        #expect(try store.lastOffset() == 0)   // (and wrote nothing: no counter, no epoch)
        // …and the next open starts a new history.
        let fresh = try open(prefix: prefix, db: db)
        defer { fresh.close() }
        #expect(fresh.epoch != store.epoch)
        #expect(try fresh.append([event("a", 1)]) == [1])
    }

    @Test func storesWithDifferentPrefixesDoNotSeeEachOther() throws {
        let one = try open(), two = try open()
        defer {
            for store in [one, two] { try? store.deleteAllData(); store.close() }
        }
        #expect(one.epoch != two.epoch)
        try one.append([event("shared", 1), event("shared", 2)])
        try one.putSession(id: "shared", state: "one")
        #expect(try one.rememberKey("k", now: 0, expiresAt: 10))
        try one.setCursor("c", to: 2)

        #expect(try two.lastOffset() == 0)
        #expect(try two.events(after: 0, limit: 10).isEmpty)
        #expect(try two.events(session: "shared", afterSeq: 0, limit: 10).isEmpty)
        #expect(try two.allSessions().isEmpty)
        #expect(try two.liveKeys(now: 0).isEmpty)
        #expect(try two.cursor("c") == nil)
        #expect(try two.append([event("shared", 1)]) == [1])   // same (session, seq), other store
        #expect(try two.rememberKey("k", now: 0, expiresAt: 10))

        // Deleting one store's data leaves the other whole.
        try two.deleteAllData()
        #expect(try one.lastOffset() == 2)
        #expect(try one.events(session: "shared", afterSeq: 0, limit: 10).count == 2)
    }

    @Test func badURLsAreInvalidAndNeverShowThePassword() {
        for text in ["http://127.0.0.1:6379", "redis://", "redis://host:0", "redis://host:99999", "redis://host/x", "redis://[::1"] {
            #expect(errorCode { () throws(StoreError) in _ = try RedisStore(url: text) } == .invalid, "\(text)")
        }
        do {
            _ = try RedisURL(parsing: "redis://:s3cret@host:port")
            Issue.record("a bad port was accepted")
        } catch {
            #expect(error.code == .invalid)
            #expect(!error.message.contains("s3cret"))
        }
        let parsed = try? RedisURL(parsing: "redis://user:p%40ss@[::1]:6380/3")
        #expect(parsed == RedisURL(host: "::1", port: 6380, db: 3, username: "user", password: "p@ss"))
        #expect(parsed?.description == "redis://user:***@[::1]:6380/3")
        #expect((try? RedisURL(parsing: "redis://localhost")) == RedisURL(host: "localhost"))
    }

    @Test func aRefusedConnectionIsABackendErrorNamingTheAddress() {
        // Port 1 on loopback: nothing listens there, the kernel refuses at once.
        do {
            _ = try RedisStore(url: "redis://:s3cret@127.0.0.1:1/0", options: .init(connectTimeoutMs: 500))
            Issue.record("connected to port 1")
        } catch {
            #expect(error.code == .backend)
            #expect(error.message.contains("127.0.0.1:1"))
            #expect(!error.message.contains("s3cret"))
        }
    }

    @Test func aWrongPasswordIsRefusedWithoutShowingIt() {
        // The test server has no password: AUTH with one is an error either way.
        var target = url
        target.password = "n0t-the-password"
        do {
            _ = try RedisStore(url: target)
            Issue.record("AUTH with a wrong password succeeded")
        } catch {
            #expect(error.code == .backend)
            #expect(!error.message.contains("n0t-the-password"))
        }
    }

    @Test func aClosedStoreRefusesCalls() throws {
        let store = try open()
        try store.deleteAllData()
        store.close()
        #expect(errorCode { () throws(StoreError) in try store.append([event("a", 1)]) } == .closed)
        #expect(errorCode { () throws(StoreError) in _ = try store.lastOffset() } == .closed)
    }

    @Test func aTransactionIsOneAtomicCommitAndBulkDeletesAreRefusedInside() throws {
        let store = try open()
        defer { try? store.deleteAllData(); store.close() }
        let offsets = try store.transaction { () throws(StoreError) -> [Int64] in
            let offsets = try store.append([event("s", 1), event("s", 2)])
            // Nothing is visible before the commit…
            #expect(try store.lastOffset() == 0)
            #expect(errorCode { () throws(StoreError) in try store.prune(olderThan: 0, maxEvents: nil) } == .invalid)
            #expect(errorCode { () throws(StoreError) in try store.forgetExpiredKeys(now: 0) } == .invalid)
            return offsets + (try store.append([event("t", 1)]))
        }
        // …and everything after it, with the offsets handed out inside.
        #expect(offsets == [1, 2, 3])
        #expect(try store.events(after: 0, limit: 10).map(\.offset) == [1, 2, 3])
    }

    @Test func aTransactionRacingAnotherWriterFailsWithoutWriting() throws {
        let prefix = RedisTestServer.uniquePrefix()
        let store = try open(prefix: prefix), other = try open(prefix: prefix)
        defer { try? store.deleteAllData(); store.close(); other.close() }
        let code = errorCode { () throws(StoreError) in
            try store.transaction { () throws(StoreError) in
                #expect(try store.append([event("s", 1)]) == [1])
                try store.putSession(id: "s", state: "x")
                try other.append([event("o", 1)])   // takes offset 1 first
            }
        }
        #expect(code == .backend)
        #expect(try store.events(after: 0, limit: 10).map(\.sessionID) == ["o"])
        #expect(try store.allSessions().isEmpty)
    }

    @Test func aDroppedConnectionFailsOneCallThenReconnects() throws {
        signal(SIGPIPE, SIG_IGN)   // as the relay does: a write to a closed socket must not kill the process
        let store = try open()
        defer { try? store.deleteAllData(); store.close() }
        try store.append([event("a", 1)])
        // The server drops exactly this store's connection.
        guard let id = try store.connection.command(["CLIENT", "ID"]).int else { Issue.record("no CLIENT ID"); return }
        _ = try? store.connection.command(["CLIENT", "KILL", "ID", .int(id)])
        var failures = 0
        var last: Int64?
        for _ in 0..<3 where last == nil {
            do { last = try store.lastOffset() } catch { #expect(error.code == .backend); failures += 1 }
        }
        #expect(last == 1)
        #expect(failures <= 1)
        #expect(try store.append([event("a", 2)]) == [2])
    }

    @Test func binarySafeArgumentsAndLargePayloads() throws {
        let store = try open()
        defer { try? store.deleteAllData(); store.close() }
        let big = String(repeating: "x\u{0}é", count: 100_000)
        let e = NewEvent(sessionID: "a b\u{0}c*[?]", seq: 1, ts: 1, kind: "k", payload: ["text": .string(big)])
        try store.append([e])
        #expect(try store.events(session: "a b\u{0}c*[?]", afterSeq: 0, limit: 1) == [StoredEvent(offset: 1, e)])
        #expect(try store.events(session: "a b", afterSeq: 0, limit: 1).isEmpty)
    }
}
