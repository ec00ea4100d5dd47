import RelayJSON
import RelayStore

/// The embedded `EventStore`: one SQLite database file in WAL mode.
///
/// **Durability.** With `.normal` synchronous (the default) a commit is written to the WAL
/// but fsync'ed only at checkpoints: every committed append survives a crash or kill of
/// the process, but the last commits can be lost on power loss or an OS crash (the
/// database stays consistent). `.full` fsyncs the WAL at every commit and survives power
/// loss too, at a much lower rate of single-event appends — batch events to compensate.
///
/// **Layout.** Tables `events` (offset = `ofs`, AUTOINCREMENT so offsets are never reused
/// after pruning), `sessions`, `dedupe_keys`, `cursors`, and `meta` (epoch, prunedThrough);
/// the schema version is `PRAGMA user_version`. A file created anew gets a new random epoch.
///
/// **Threading.** Not thread-safe; used only from the relay's service thread (see `EventStore`).
/// Only one process may open a database at a time (enforced by `Options.exclusiveLock`).
public final class SQLiteStore: EventStore {
    /// The file name to use inside the relay's data directory.
    public static let defaultFileName = "relay.sqlite3"

    /// The schema version this code writes (`PRAGMA user_version`).
    static let schemaVersion: Int64 = 1

    public struct Options: Sendable, Equatable {
        public enum Synchronous: String, Sendable {
            /// Survives a process crash; may lose the last commits on power loss.
            case normal = "NORMAL"
            /// Survives power loss; an fsync per commit.
            case full = "FULL"
        }

        public var synchronous: Synchronous
        /// How long to wait for a lock held by another connection (e.g. a `sqlite3` shell), ms.
        public var busyTimeoutMs: Int
        /// Checkpoint (copy the WAL into the database) once the WAL holds this many pages.
        /// SQLite's default is 1000 (4 MB); 10000 (40 MB) makes appends ~25 % faster in
        /// bench/StoreBench, at the cost of a larger WAL and a longer recovery after a crash.
        public var checkpointPages: Int
        /// Truncate the WAL file to at most this size after a checkpoint.
        public var walSizeLimitBytes: Int
        /// `PRAGMA locking_mode=EXCLUSIVE`: the relay holds the database lock for as long as it
        /// is open. Saves the lock system calls of every transaction and keeps a second
        /// relay from using the same data directory; other processes (even a `sqlite3` shell)
        /// can read the file only while the relay is stopped.
        public var exclusiveLock: Bool

        public init(synchronous: Synchronous = .normal, busyTimeoutMs: Int = 5000, checkpointPages: Int = 10_000,
                    walSizeLimitBytes: Int = 64 << 20, exclusiveLock: Bool = true) {
            self.synchronous = synchronous
            self.busyTimeoutMs = busyTimeoutMs
            self.checkpointPages = checkpointPages
            self.walSizeLimitBytes = walSizeLimitBytes
            self.exclusiveLock = exclusiveLock
        }
    }

    public let path: String
    public let epoch: String
    private let db: SQLiteConnection
    /// Depth of nested `transaction` calls; savepoint names are sp0, sp1, …
    private var depth = 0

    /// Opens (or creates) the database at `path`. The directory must exist.
    public init(path: String, options: Options = Options()) throws(StoreError) {
        self.path = path
        let db = try SQLiteConnection(path: path)
        self.db = db
        do throws(StoreError) {
            if options.exclusiveLock { try db.execute("PRAGMA locking_mode=EXCLUSIVE") }
            var mode = ""
            try db.statement("PRAGMA journal_mode=WAL").run { row in mode = row.text(0) }
            guard mode.lowercased() == "wal" else { throw StoreError(.backend, "\(path): cannot use WAL mode (got \(mode))") }
            try db.execute("""
                PRAGMA synchronous=\(options.synchronous.rawValue);
                PRAGMA busy_timeout=\(max(0, options.busyTimeoutMs));
                PRAGMA journal_size_limit=\(max(0, options.walSizeLimitBytes));
                PRAGMA wal_autocheckpoint=\(max(1, options.checkpointPages));
                """)
            self.epoch = try Self.migrate(db, path: path)
        } catch {
            db.close()
            throw error
        }
    }

    /// Closes the database; later calls throw `.closed`. Also done on deinit.
    public func close() { db.close() }

    /// Creates the schema in a new database, or checks the version of an existing one.
    /// Returns the epoch.
    private static func migrate(_ db: SQLiteConnection, path: String) throws(StoreError) -> String {
        var version: Int64 = 0
        try db.statement("PRAGMA user_version").run { row in version = row.int(0) }
        switch version {
        case 0:
            let epoch = StoreEpoch.random()
            try db.execute("""
                BEGIN IMMEDIATE;
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE events (
                    ofs INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL
                );
                CREATE UNIQUE INDEX events_by_session ON events (session_id, seq);
                CREATE TABLE sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE dedupe_keys (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE cursors (name TEXT PRIMARY KEY, ofs INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO meta VALUES ('epoch', '\(epoch)'), ('pruned_through', '0');
                PRAGMA user_version=\(schemaVersion);
                COMMIT;
                """)
            return epoch
        case schemaVersion:
            var epoch: String?
            try db.statement("SELECT value FROM meta WHERE key = 'epoch'").run { row in epoch = row.text(0) }
            guard let epoch, !epoch.isEmpty else { throw StoreError(.corrupt, "\(path): no epoch in table meta") }
            return epoch
        default:
            throw StoreError(.schema, "\(path) has schema version \(version); this relay understands up to \(schemaVersion)")
        }
    }

    // MARK: event log

    @discardableResult
    public func append(_ events: [NewEvent]) throws(StoreError) -> [Int64] {
        guard !events.isEmpty else { return [] }
        if let bad = events.first(where: { $0.seq < 1 }) {
            throw StoreError(.invalid, "seq must be ≥ 1, got \(bad.seq) for session \(bad.sessionID)")
        }
        let insert = try db.statement("INSERT INTO events (session_id, seq, ts, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)")
        return try transaction { () throws(StoreError) -> [Int64] in
            var offsets: [Int64] = []
            offsets.reserveCapacity(events.count)
            for event in events {
                do throws(StoreError) {
                    try insert.run([.text(event.sessionID), .int(Int64(event.seq)), .int(event.ts), .text(event.kind), .utf8(event.payloadJSON)])
                } catch where error.code == .duplicate {
                    throw StoreError(.duplicate, "session \(event.sessionID) already has seq \(event.seq)")
                }
                offsets.append(db.lastInsertRowID)
            }
            return offsets
        }
    }

    public func events(after offset: Int64, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        return try readEvents("SELECT ofs, session_id, seq, ts, kind, payload FROM events WHERE ofs > ?1 ORDER BY ofs LIMIT ?2",
                              [.int(offset), .int(Int64(limit))])
    }

    public func events(session: String, afterSeq: Int, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        return try readEvents("SELECT ofs, session_id, seq, ts, kind, payload FROM events WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                              [.text(session), .int(Int64(afterSeq)), .int(Int64(limit))])
    }

    private func readEvents(_ sql: String, _ values: [SQLiteValue]) throws(StoreError) -> [StoredEvent] {
        var result: [StoredEvent] = []
        try db.statement(sql).run(values) { row throws(StoreError) in
            let offset = row.int(0)
            // Not parsed here: most readers splice the bytes (StoredEvent.payloadJSON).
            result.append(StoredEvent(offset: offset, sessionID: row.text(1), seq: Int(row.int(2)), ts: row.int(3), kind: row.text(4),
                                      payloadJSON: row.bytes(5)))
        }
        return result
    }

    private static func json(_ bytes: [UInt8], what: String) throws(StoreError) -> JSONValue {
        do { return try JSONValue.parse(bytes: bytes) } catch { throw StoreError(.corrupt, "\(what): \(error)") }
    }

    public func lastOffset() throws(StoreError) -> Int64 {
        // AUTOINCREMENT keeps the highest offset ever used in sqlite_sequence, even after deletes.
        var last: Int64 = 0
        try db.statement("SELECT seq FROM sqlite_sequence WHERE name = 'events'").run { row in last = row.int(0) }
        return last
    }

    public func firstOffset() throws(StoreError) -> Int64? {
        var first: Int64?
        try db.statement("SELECT min(ofs) FROM events").run { row in first = row.isNull(0) ? nil : row.int(0) }
        return first
    }

    public func firstOffset(since ts: Int64) throws(StoreError) -> Int64? {
        var first: Int64?
        try db.statement("SELECT min(ofs) FROM events WHERE ts >= ?1").run([.int(ts)]) { row in first = row.isNull(0) ? nil : row.int(0) }
        return first
    }

    public func prunedThrough() throws(StoreError) -> Int64 {
        var value: Int64 = 0
        try db.statement("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'pruned_through'").run { row in value = row.int(0) }
        return value
    }

    @discardableResult
    public func prune(olderThan ts: Int64?, maxEvents: Int?) throws(StoreError) -> Int {
        try transaction { () throws(StoreError) -> Int in
            var removed = 0
            var highest: Int64 = 0
            let prunable = "session_id NOT IN (SELECT id FROM sessions)"
            if let ts {
                try db.statement("SELECT max(ofs) FROM events WHERE ts < ?1 AND \(prunable)").run([.int(ts)]) { row in
                    if !row.isNull(0) { highest = max(highest, row.int(0)) }
                }
                try db.statement("DELETE FROM events WHERE ts < ?1 AND \(prunable)").run([.int(ts)])
                removed += db.changes
            }
            if let maxEvents {
                var count: Int64 = 0
                try db.statement("SELECT count(*) FROM events").run { row in count = row.int(0) }
                let excess = count - Int64(max(0, maxEvents))
                if excess > 0 {
                    let oldest = "SELECT ofs FROM events WHERE \(prunable) ORDER BY ofs LIMIT ?1"
                    try db.statement("SELECT max(ofs) FROM (\(oldest))").run([.int(excess)]) { row in
                        if !row.isNull(0) { highest = max(highest, row.int(0)) }
                    }
                    try db.statement("DELETE FROM events WHERE ofs IN (\(oldest))").run([.int(excess)])
                    removed += db.changes
                }
            }
            if removed > 0 {
                try db.statement("UPDATE meta SET value = max(CAST(value AS INTEGER), ?1) WHERE key = 'pruned_through'").run([.int(highest)])
            }
            return removed
        }
    }

    // MARK: live sessions

    public func putSession(id: String, state: JSONValue) throws(StoreError) {
        try db.statement("INSERT OR REPLACE INTO sessions (id, state) VALUES (?1, ?2)").run([.text(id), .text(state.serialized)])
    }

    public func removeSession(id: String) throws(StoreError) {
        try db.statement("DELETE FROM sessions WHERE id = ?1").run([.text(id)])
    }

    public func allSessions() throws(StoreError) -> [StoredSession] {
        var result: [StoredSession] = []
        try db.statement("SELECT id, state FROM sessions ORDER BY id").run { row throws(StoreError) in
            let id = row.text(0)
            result.append(StoredSession(id: id, state: try Self.json(row.bytes(1), what: "state of session \(id)")))
        }
        return result
    }

    // MARK: dedupe keys

    public func rememberKey(_ key: String, now: Int64, expiresAt: Int64) throws(StoreError) -> Bool {
        // Inserts, or replaces an expired entry; a live entry is left alone (0 changes).
        try db.statement("""
            INSERT INTO dedupe_keys (key, expires_at) VALUES (?1, ?2)
            ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE dedupe_keys.expires_at <= ?3
            """).run([.text(key), .int(expiresAt), .int(now)])
        return db.changes > 0
    }

    public func liveKeys(now: Int64) throws(StoreError) -> [String] {
        var keys: [String] = []
        try db.statement("SELECT key FROM dedupe_keys WHERE expires_at > ?1 ORDER BY key").run([.int(now)]) { row in keys.append(row.text(0)) }
        return keys
    }

    @discardableResult
    public func forgetExpiredKeys(now: Int64) throws(StoreError) -> Int {
        try db.statement("DELETE FROM dedupe_keys WHERE expires_at <= ?1").run([.int(now)])
        return db.changes
    }

    // MARK: consumer cursors

    public func cursor(_ name: String) throws(StoreError) -> Int64? {
        var value: Int64?
        try db.statement("SELECT ofs FROM cursors WHERE name = ?1").run([.text(name)]) { row in value = row.int(0) }
        return value
    }

    public func setCursor(_ name: String, to offset: Int64) throws(StoreError) {
        try db.statement("INSERT OR REPLACE INTO cursors (name, ofs) VALUES (?1, ?2)").run([.text(name), .int(offset)])
    }

    // MARK: grouping

    /// A SAVEPOINT per level: the outermost one is the transaction (one commit), inner ones
    /// can be rolled back alone.
    public func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        let name = "sp\(depth)"
        try db.statement("SAVEPOINT \(name)").run()
        depth += 1
        let result: R
        do throws(StoreError) {
            result = try body()
        } catch {
            depth -= 1
            // Undo this level's writes and pop the savepoint; if even that fails the
            // connection is unusable for this transaction, so abandon it entirely.
            do throws(StoreError) {
                try db.statement("ROLLBACK TO \(name)").run()
                try db.statement("RELEASE \(name)").run()
            } catch {
                if depth == 0, db.inTransaction { try? db.execute("ROLLBACK") }
            }
            throw error
        }
        depth -= 1
        do throws(StoreError) {
            try db.statement("RELEASE \(name)").run()   // the commit, at depth 0
        } catch {
            if depth == 0, db.inTransaction { try? db.execute("ROLLBACK") }
            throw error
        }
        return result
    }
}
