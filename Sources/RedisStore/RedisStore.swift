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
        /// This relay's name among the nodes sharing the store (see `ClusterStore`). Nil for a
        /// store used by one relay alone: commits then do not check session ownership.
        public var nodeID: String?

        public init(prefix: String = "relay", connectTimeoutMs: Int = 2_000, commandTimeoutMs: Int = 5_000, nodeID: String? = nil) {
            self.prefix = prefix
            self.nodeID = nodeID
            self.connectTimeoutMs = connectTimeoutMs
            self.commandTimeoutMs = commandTimeoutMs
        }
    }

    public let url: RedisURL
    public let options: Options
    public private(set) var epoch: String
    /// The first part of every key of this store, `hr:{prefix}:`.
    public let keyPrefix: String
    let connection: RedisConnection
    private var scriptSHAs: [String: String] = [:]

    /// Writes of the open transaction(s); nil outside any.
    var pending: Pending?
    /// The committed last offset, read at the first append of the open transaction.
    var base: Int64?

    struct SessionSeq: Hashable {
        let session: String
        let seq: Int
    }

    /// A transaction's buffer: the apply script's ops, plus what later calls of the same
    /// transaction must take into account (seqs taken, keys remembered, events appended).
    struct Pending {
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
        self.epoch = try Self.openEpoch(connection, key: .text(keyPrefix + "epoch"), url: url)
    }

    /// SET NX: the first opener creates the epoch, later ones read it. A missing key means
    /// a new (or lost) history, hence a new epoch.
    private static func openEpoch(_ connection: RedisConnection, key: RedisArg, url: RedisURL) throws(StoreError) -> String {
        try check(connection.command(["SET", key, .text(StoreEpoch.random()), "NX"]))
        guard let epoch = try check(connection.command(["GET", key])).text, !epoch.isEmpty else {
            throw StoreError(.corrupt, "\(url): no epoch")
        }
        return epoch
    }

    /// Starts writing under the store's current epoch after it lost its data (`.lost`):
    /// a new history, or the one another relay node started already.
    public func reopen() throws(StoreError) {
        pending = nil
        base = nil
        epoch = try Self.openEpoch(connection, key: key("epoch"), url: url)
    }

    /// The epoch stored in Redis now (nil if the data is gone), to notice a loss before writing.
    public func storedEpoch() throws(StoreError) -> String? {
        try run(["GET", key("epoch")]).text
    }

    /// Disconnects; later calls throw `.closed`. Also done on deinit.
    public func close() { connection.close() }

    func key(_ name: String) -> RedisArg { .text(keyPrefix + name) }
    var indexPrefix: String { keyPrefix + "seqs:" }

    // MARK: commands and scripts (shared by the extensions in RedisStore+*.swift)

    /// A reply, with error replies turned into StoreErrors (the scripts' own error codes mapped).
    @discardableResult
    static func check(_ reply: RedisReply) throws(StoreError) -> RedisReply {
        guard case .error(let message) = reply else { return reply }
        func rest() -> String { String(message.drop { $0 != " " }.dropFirst()) }
        if message.hasPrefix("DUPLICATE ") { throw StoreError(.duplicate, rest()) }
        if message.hasPrefix("EPOCH ") { throw StoreError(.lost, rest()) }
        if message.hasPrefix("CONFLICT ") { throw StoreError(.backend, rest()) }
        if message.hasPrefix("FENCED ") { throw StoreError(.fenced, rest()) }
        throw StoreError(.backend, "Redis: \(message)")
    }

    func run(_ args: [RedisArg]) throws(StoreError) -> RedisReply {
        try Self.check(connection.command(args))
    }

    /// EVALSHA, loading the script on first use and again if the server forgot it (restart, SCRIPT FLUSH).
    func eval(_ script: String, keys: [RedisArg], args: [RedisArg]) throws(StoreError) -> RedisReply {
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
    func apply(_ ops: [RedisArg], expectedLast: Int64?) throws(StoreError) -> [Int64] {
        let keys: [RedisArg] = [key("epoch"), key("offset"), key("log"), key("sessions"), key("keys"), key("cursors"),
                                key("owners"), key("convs")]
        let args: [RedisArg] = [.text(indexPrefix), .text(epoch), expectedLast.map { .int($0) } ?? "", .text(keyPrefix)] + ops
        let reply = try eval(RedisScripts.apply, keys: keys, args: args)
        let values = reply.elements.compactMap(\.int)
        guard values.count == reply.elements.count, !values.isEmpty else {
            throw StoreError(.backend, "Redis: unexpected reply from the apply script")
        }
        return values
    }

    /// Inside a transaction, buffers `ops`; outside, applies them now.
    func write(_ ops: [RedisArg]) throws(StoreError) {
        if pending != nil { pending!.ops += ops } else { try apply(ops, expectedLast: nil) }
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
