import RelayJSON
import RelayStore

/// An `EventStore` on Redis, with the same semantics as SQLiteStore: the first step of
/// scale-out (issue 8; key layout and reasoning in docs/REDIS.md).
///
/// **Layout.** Every key starts with `hr:{<prefix>}:` (the braces are a Cluster hash tag:
/// one store, one slot). `epoch` (string, SET NX at first open), `offset` (the last offset
/// ever assigned), `pruned` (prunedThrough), `log` (a Stream whose entry ids are
/// `<offset>-0`), `seqs:<session>` (a sorted set seq → offset per session), `sessions` and
/// `cursors` (hashes), `keys` (a sorted set of dedupe keys scored by expiry).
///
/// **Atomicity.** Every write goes through one Lua script (`RedisScripts.apply`) that
/// validates the whole batch before writing anything. A `transaction` buffers its writes
/// in this object and sends them as one script call at the end, so it commits or leaves
/// no trace, even if the relay dies half-way. Values a call must return inside a
/// transaction (offsets, whether a dedupe key is new) are worked out from Redis plus the
/// buffer; the script re-checks them (the offset counter must not have moved).
/// Differences from SQLite, none of which the relay relies on:
/// - reads inside a transaction see the committed state, not the transaction's own writes;
/// - `prune` and `forgetExpiredKeys` refuse to run inside a transaction (`.invalid`).
///
/// **Epoch.** If Redis loses the data (FLUSHDB, a restart without persistence) the epoch
/// key is gone: the next open creates a new epoch, and a store opened before refuses
/// every write (`.backend`) instead of reusing offsets under the old epoch.
///
/// **Threading.** Not thread-safe; used only from the relay's service thread (see `EventStore`).
public final class RedisStore: EventStore {
    public struct Options: Sendable, Equatable {
        /// Names this store's keys: several relays' stores (or test cases) can share one Redis.
        public var prefix: String
        public var connectTimeoutMs: Int
        /// Every command after connecting gives up (and the connection is re-made) after this long.
        public var commandTimeoutMs: Int

        public init(prefix: String = "relay", connectTimeoutMs: Int = 2_000, commandTimeoutMs: Int = 5_000) {
            self.prefix = prefix
            self.connectTimeoutMs = connectTimeoutMs
            self.commandTimeoutMs = commandTimeoutMs
        }
    }

    public let url: RedisURL
    public let options: Options
    public let epoch: String
    /// The first part of every key of this store, `hr:{prefix}:`.
    public let keyPrefix: String
    let connection: RedisConnection
    private var scriptSHAs: [String: String] = [:]

    /// Writes of the open transaction(s); nil outside any.
    private var pending: Pending?
    /// The committed last offset, read at the first append of the open transaction.
    private var base: Int64?

    private struct SessionSeq: Hashable {
        let session: String
        let seq: Int
    }

    private struct Pending {
        var ops: [RedisArg] = []
        var used: Set<SessionSeq> = []
        var keys: [String: Int64] = [:]
        var appended: Int64 = 0
    }

    /// Connects to `url` (`redis://[[user]:password@]host[:port][/db]`) and opens (or creates) the store.
    public convenience init(url: String, options: Options = Options()) throws(StoreError) {
        try self.init(url: try RedisURL(parsing: url), options: options)
    }

    public init(url: RedisURL, options: Options = Options()) throws(StoreError) {
        self.url = url
        self.options = options
        self.keyPrefix = "hr:{\(options.prefix)}:"
        let connection = try RedisConnection(url: url, options: .init(connectTimeoutMs: options.connectTimeoutMs,
                                                                        commandTimeoutMs: options.commandTimeoutMs))
        self.connection = connection
        // SET NX: the first opener creates the epoch, later ones read it. A missing key means
        // a new (or lost) history, hence a new epoch.
        let key = RedisArg.text(keyPrefix + "epoch")
        try Self.check(connection.command(["SET", key, .text(StoreEpoch.random()), "NX"]))
        guard let epoch = try Self.check(connection.command(["GET", key])).text, !epoch.isEmpty else {
            throw StoreError(.corrupt, "\(url): no epoch under \(keyPrefix)epoch")
        }
        self.epoch = epoch
    }

    /// Disconnects; later calls throw `.closed`. Also done on deinit.
    public func close() { connection.close() }

    /// Deletes every key of this store (SCAN + UNLINK), e.g. after a test or to decommission
    /// a prefix. Whoever opens the prefix next starts a new history with a new epoch;
    /// this instance refuses writes from now on.
    public func deleteAllData() throws(StoreError) {
        // Glob-escape the prefix: only * ? [ ] and \ are special to SCAN MATCH.
        var pattern = ""
        for ch in keyPrefix {
            if "*?[]\\".contains(ch) { pattern.append("\\") }
            pattern.append(ch)
        }
        pattern += "*"
        var cursor = "0"
        repeat {
            let reply = try run(["SCAN", .text(cursor), "MATCH", .text(pattern), "COUNT", "500"]).elements
            guard reply.count == 2, let next = reply[0].text else { throw StoreError(.backend, "Redis: unexpected SCAN reply") }
            let keys = reply[1].elements.compactMap { item -> RedisArg? in
                if case .string(let bytes) = item { return .bytes(bytes) }
                return nil
            }
            if !keys.isEmpty { _ = try run(["UNLINK"] + keys) }
            cursor = next
        } while cursor != "0"
    }

    private func key(_ name: String) -> RedisArg { .text(keyPrefix + name) }
    private var indexPrefix: String { keyPrefix + "seqs:" }

    // MARK: commands and scripts

    /// A reply, with error replies turned into StoreErrors (the scripts' own error codes mapped).
    @discardableResult
    private static func check(_ reply: RedisReply) throws(StoreError) -> RedisReply {
        guard case .error(let message) = reply else { return reply }
        func rest() -> String { String(message.drop { $0 != " " }.dropFirst()) }
        if message.hasPrefix("DUPLICATE ") { throw StoreError(.duplicate, rest()) }
        if message.hasPrefix("EPOCH ") || message.hasPrefix("CONFLICT ") { throw StoreError(.backend, rest()) }
        throw StoreError(.backend, "Redis: \(message)")
    }

    private func run(_ args: [RedisArg]) throws(StoreError) -> RedisReply {
        try Self.check(connection.command(args))
    }

    /// EVALSHA, loading the script on first use and again if the server forgot it (restart, SCRIPT FLUSH).
    private func eval(_ script: String, keys: [RedisArg], args: [RedisArg]) throws(StoreError) -> RedisReply {
        let tail: [RedisArg] = [.int(Int64(keys.count))] + keys + args
        if let sha = scriptSHAs[script] {
            let reply = try connection.command(["EVALSHA", .text(sha)] + tail)
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                scriptSHAs[script] = nil
            } else {
                return try Self.check(reply)
            }
        }
        guard let sha = try run(["SCRIPT", "LOAD", .text(script)]).text else {
            throw StoreError(.backend, "Redis: SCRIPT LOAD returned no digest")
        }
        scriptSHAs[script] = sha
        return try Self.check(connection.command(["EVALSHA", .text(sha)] + tail))
    }

    /// Runs writes through the apply script now; returns its result ({first offset, K results…}).
    @discardableResult
    private func apply(_ ops: [RedisArg], expectedLast: Int64?) throws(StoreError) -> [Int64] {
        let keys: [RedisArg] = [key("epoch"), key("offset"), key("log"), key("sessions"), key("keys"), key("cursors")]
        let args: [RedisArg] = [.text(indexPrefix), .text(epoch), expectedLast.map { .int($0) } ?? ""] + ops
        let reply = try eval(RedisScripts.apply, keys: keys, args: args)
        let values = reply.elements.compactMap(\.int)
        guard values.count == reply.elements.count, !values.isEmpty else {
            throw StoreError(.backend, "Redis: unexpected reply from the apply script")
        }
        return values
    }

    /// Inside a transaction, buffers `ops`; outside, applies them now.
    private func write(_ ops: [RedisArg]) throws(StoreError) {
        if pending != nil { pending!.ops += ops } else { try apply(ops, expectedLast: nil) }
    }

    // MARK: event log

    @discardableResult
    public func append(_ events: [NewEvent]) throws(StoreError) -> [Int64] {
        guard !events.isEmpty else { return [] }
        if let bad = events.first(where: { $0.seq < 1 }) {
            throw StoreError(.invalid, "seq must be ≥ 1, got \(bad.seq) for session \(bad.sessionID)")
        }
        var batch: Set<SessionSeq> = []
        for event in events where !batch.insert(SessionSeq(session: event.sessionID, seq: event.seq)).inserted {
            throw StoreError(.duplicate, "session \(event.sessionID) already has seq \(event.seq)")
        }
        var ops: [RedisArg] = []
        ops.reserveCapacity(events.count * 6)
        for event in events {
            ops += ["A", .text(event.sessionID), .int(Int64(event.seq)), .int(event.ts), .text(event.kind),
                    .text(event.payload.serialized)]
        }
        guard pending != nil else {
            let first = try apply(ops, expectedLast: nil)[0]
            return (1...Int64(events.count)).map { first + $0 }
        }
        // In a transaction: refuse a duplicate now (the caller may catch it in a nested
        // transaction), against both the buffer and Redis; then number the events after
        // what is committed plus what is buffered.
        if let event = events.first(where: { pending!.used.contains(SessionSeq(session: $0.sessionID, seq: $0.seq)) }) {
            throw StoreError(.duplicate, "session \(event.sessionID) already has seq \(event.seq)")
        }
        var pairs: [RedisArg] = [.text(indexPrefix)]
        for event in events { pairs += [.text(event.sessionID), .int(Int64(event.seq))] }
        let found = try eval(RedisScripts.firstStoredSeq, keys: [], args: pairs).int ?? 0
        if found > 0 {
            let event = events[Int(found) - 1]
            throw StoreError(.duplicate, "session \(event.sessionID) already has seq \(event.seq)")
        }
        if base == nil { base = try lastOffset() }
        let start = base! + pending!.appended
        pending!.ops += ops
        pending!.used.formUnion(batch)
        pending!.appended += Int64(events.count)
        return (1...Int64(events.count)).map { start + $0 }
    }

    public func events(after offset: Int64, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0, offset < Int64.max else { return [] }
        let start = max(offset, 0) + 1
        let reply = try run(["XRANGE", key("log"), .text("\(start)-0"), "+", "COUNT", .int(Int64(limit))])
        return try reply.elements.map(Self.event)
    }

    public func events(session: String, afterSeq: Int, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let reply = try eval(RedisScripts.sessionEvents, keys: [key("log")],
                             args: [.text(indexPrefix + session), .int(Int64(afterSeq)), .int(Int64(limit))])
        return try reply.elements.map(Self.event)
    }

    /// A stream entry `[id, [s, session, q, seq, t, ts, k, kind, p, payload]]` as an event.
    private static func event(_ entry: RedisReply) throws(StoreError) -> StoredEvent {
        let parts = entry.elements
        guard parts.count == 2, let id = parts[0].text, let offset = Int64(id.prefix { $0 != "-" }) else {
            throw StoreError(.corrupt, "Redis: malformed log entry")
        }
        var fields: [String: RedisReply] = [:]
        let flat = parts[1].elements
        for i in stride(from: 0, to: flat.count - 1, by: 2) {
            if let name = flat[i].text { fields[name] = flat[i + 1] }
        }
        guard let session = fields["s"]?.text, let seq = fields["q"]?.int, let ts = fields["t"]?.int,
              let kind = fields["k"]?.text, case .string(let payload)? = fields["p"] else {
            throw StoreError(.corrupt, "Redis: log entry \(offset) lacks a field")
        }
        return StoredEvent(offset: offset, sessionID: session, seq: Int(seq), ts: ts, kind: kind,
                           payload: try json(payload, what: "payload of event \(offset)"))
    }

    private static func json(_ bytes: [UInt8], what: String) throws(StoreError) -> JSONValue {
        do { return try JSONValue.parse(bytes: bytes) } catch { throw StoreError(.corrupt, "\(what): \(error)") }
    }

    public func lastOffset() throws(StoreError) -> Int64 {
        try run(["GET", key("offset")]).int ?? 0
    }

    public func firstOffset() throws(StoreError) -> Int64? {
        try events(after: 0, limit: 1).first?.offset
    }

    public func firstOffset(since ts: Int64) throws(StoreError) -> Int64? {
        // A scan in pages, as the protocol says: events are ordered by offset, not time.
        var position: Int64 = 0
        while true {
            let page = try events(after: position, limit: 500)
            guard let last = page.last else { return nil }
            if let hit = page.first(where: { $0.ts >= ts }) { return hit.offset }
            position = last.offset
        }
    }

    public func prunedThrough() throws(StoreError) -> Int64 {
        try run(["GET", key("pruned")]).int ?? 0
    }

    @discardableResult
    public func prune(olderThan ts: Int64?, maxEvents: Int?) throws(StoreError) -> Int {
        try refuseInTransaction("prune")
        let reply = try eval(RedisScripts.prune, keys: [key("epoch"), key("log"), key("sessions"), key("pruned")],
                             args: [.text(indexPrefix), .text(epoch), ts.map { .int($0) } ?? "",
                                    maxEvents.map { .int(Int64($0)) } ?? ""])
        return Int(reply.int ?? 0)
    }

    /// Bulk deletions are not buffered (their result depends on everything before them), so
    /// they could not be undone: refuse them instead of silently breaking atomicity.
    private func refuseInTransaction(_ what: String) throws(StoreError) {
        if pending != nil { throw StoreError(.invalid, "\(what) cannot run inside a transaction on the Redis store") }
    }

    // MARK: live sessions

    public func putSession(id: String, state: JSONValue) throws(StoreError) {
        try write(["P", .text(id), .text(state.serialized)])
    }

    public func removeSession(id: String) throws(StoreError) {
        try write(["R", .text(id)])
    }

    public func allSessions() throws(StoreError) -> [StoredSession] {
        let flat = try run(["HGETALL", key("sessions")]).elements
        var result: [StoredSession] = []
        for i in stride(from: 0, to: flat.count - 1, by: 2) {
            guard let id = flat[i].text, case .string(let state) = flat[i + 1] else { continue }
            result.append(StoredSession(id: id, state: try Self.json(state, what: "state of session \(id)")))
        }
        // Byte order, like SQLite's ORDER BY with the BINARY collation.
        return result.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    }

    // MARK: dedupe keys

    public func rememberKey(_ key: String, now: Int64, expiresAt: Int64) throws(StoreError) -> Bool {
        let op: [RedisArg] = ["K", .text(key), .int(now), .int(expiresAt)]
        guard pending != nil else { return try apply(op, expectedLast: nil)[1] == 1 }
        // Buffered: decide from this transaction's own keys, else from Redis; the apply
        // script makes the same decision again at commit.
        let known: Int64?
        if let buffered = pending!.keys[key] {
            known = buffered
        } else {
            known = try run(["ZSCORE", self.key("keys"), .text(key)]).text.flatMap { Double($0) }.map { Int64($0) }
        }
        if let known, known > now { return false }
        pending!.keys[key] = expiresAt
        pending!.ops += op
        return true
    }

    public func liveKeys(now: Int64) throws(StoreError) -> [String] {
        let reply = try run(["ZRANGEBYSCORE", key("keys"), .text("(\(now)"), "+inf"])
        return reply.elements.compactMap(\.text).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    @discardableResult
    public func forgetExpiredKeys(now: Int64) throws(StoreError) -> Int {
        try refuseInTransaction("forgetExpiredKeys")
        return Int(try run(["ZREMRANGEBYSCORE", key("keys"), "-inf", .int(now)]).int ?? 0)
    }

    // MARK: consumer cursors

    public func cursor(_ name: String) throws(StoreError) -> Int64? {
        try run(["HGET", key("cursors"), .text(name)]).int
    }

    public func setCursor(_ name: String, to offset: Int64) throws(StoreError) {
        try write(["C", .text(name), .int(offset)])
    }

    // MARK: grouping

    /// Buffers the body's writes and commits them with one script call (see the type's doc).
    /// A nested level keeps a copy of the buffer and restores it if its body throws.
    public func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        let outermost = pending == nil
        let saved = pending ?? Pending()
        pending = saved
        let result: R
        do throws(StoreError) {
            result = try body()
        } catch {
            pending = outermost ? nil : saved
            if outermost { base = nil }
            throw error
        }
        guard outermost else { return result }
        let writes = pending!
        let expected = base
        pending = nil
        base = nil
        if !writes.ops.isEmpty {
            // Checks that nobody appended since `base` was read, so the offsets returned
            // inside the transaction are the ones written.
            try apply(writes.ops, expectedLast: writes.appended > 0 ? expected : nil)
        }
        return result
    }
}
