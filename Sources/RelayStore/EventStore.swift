import RelayJSON

/// The relay's durable state: the per-session event log (the single source of truth for
/// every session), live-session snapshots (which carry each session's pending 8x8 calls),
/// webhook dedupe keys and the positions of log consumers. Keeps the core independent of the backend (SQLite today, Redis Streams later).
///
/// **Threading.** Synchronous and not thread-safe: an instance is used only from the
/// relay's single service thread, like every other piece of relay state. Implementations
/// are classes and are not `Sendable`.
///
/// **Atomicity.** Every mutating call is atomic on its own (e.g. `append` writes all of its
/// events or none, in one commit — so batching events into one call batches commits).
/// `transaction` groups several calls into one atomic unit, e.g. "append the user's
/// message and save the session snapshot whose outbox now forwards it to 8x8".
///
/// **Offsets and epoch.** Offsets start at 1, grow strictly across all sessions and are
/// never reused. A reader keeps `(epoch, offset)`; if the epoch changed, or
/// `canResume(after:)` is false, events were lost and it must resynchronize.
///
/// **Retention.** `prune` removes old events of *finished* sessions only: events of a
/// session that has a snapshot (`putSession`) are kept whatever their age, so a live
/// session can always be replayed from seq 1. Because of that exemption, pruning can
/// leave holes in the offset sequence; `prunedThrough` tells a stream reader whether it
/// fell into one.
public protocol EventStore: AnyObject {
    /// Identifies this history; changes only when the log was recreated (history lost).
    var epoch: String { get }

    // MARK: event log

    /// Appends `events` in one transaction and returns their offsets, in order.
    /// Throws `.duplicate` if a (sessionID, seq) already exists or repeats within the
    /// batch, `.invalid` if a seq is < 1; in both cases nothing is written.
    @discardableResult
    func append(_ events: [NewEvent]) throws(StoreError) -> [Int64]

    /// Up to `limit` events with offset > `offset`, in offset order.
    func events(after offset: Int64, limit: Int) throws(StoreError) -> [StoredEvent]

    /// Up to `limit` events of one session with seq > `afterSeq`, in seq order.
    func events(session: String, afterSeq: Int, limit: Int) throws(StoreError) -> [StoredEvent]

    /// The highest offset ever assigned (0 if none), even if that event was pruned since.
    func lastOffset() throws(StoreError) -> Int64

    /// The offset of the oldest stored event, nil if no events are stored.
    func firstOffset() throws(StoreError) -> Int64?

    /// The offset of the first stored event with `ts >= since`, nil if there is none.
    /// (Events are ordered by offset, not time: a scan, for the rare "start at time T".)
    func firstOffset(since ts: Int64) throws(StoreError) -> Int64?

    /// The highest offset ever removed by `prune` (0 if none). A reader that has consumed
    /// everything up to position p missed events iff p < prunedThrough.
    func prunedThrough() throws(StoreError) -> Int64

    /// Removes events with `ts < olderThan` (if given), then the oldest events while more
    /// than `maxEvents` are stored (if given) — in both cases only events of sessions
    /// without a snapshot. So `maxEvents` is a soft cap: live sessions can exceed it.
    /// Returns how many events were removed.
    @discardableResult
    func prune(olderThan ts: Int64?, maxEvents: Int?) throws(StoreError) -> Int

    // MARK: live sessions

    /// Saves (replaces) the snapshot of a live session.
    func putSession(id: String, state: JSONValue) throws(StoreError)

    /// Drops a session's snapshot: the session is finished; its events become prunable.
    func removeSession(id: String) throws(StoreError)

    /// Every saved snapshot, ordered by id.
    func allSessions() throws(StoreError) -> [StoredSession]

    /// One saved snapshot, nil if there is none (finished or unknown session).
    func session(id: String) throws(StoreError) -> StoredSession?

    // MARK: dedupe keys (webhook event ids, client message ids)

    /// Records `key` until `expiresAt`. Returns false if it is already recorded and not
    /// expired at `now` (i.e. a duplicate); true otherwise (an expired entry is replaced).
    func rememberKey(_ key: String, now: Int64, expiresAt: Int64) throws(StoreError) -> Bool

    /// Every key not expired at `now` (to rebuild an in-memory index after a restart).
    func liveKeys(now: Int64) throws(StoreError) -> [String]

    /// Deletes keys with `expiresAt <= now`; returns how many.
    @discardableResult
    func forgetExpiredKeys(now: Int64) throws(StoreError) -> Int

    // MARK: consumer cursors

    /// The offset a named consumer (e.g. a webhook subscription) has processed, nil if never set.
    func cursor(_ name: String) throws(StoreError) -> Int64?

    /// Records that consumer `name` has processed everything up to `offset`.
    func setCursor(_ name: String, to offset: Int64) throws(StoreError)

    // MARK: grouping

    /// Writes one service turn's changes atomically and returns the events' offsets, in
    /// order. Throws like `append`; a store shared by several nodes also throws `.fenced`
    /// when the commit writes to a session another node owns now (nothing is written).
    /// Every store gets it from ``commitInTransaction(_:)`` unless it does better.
    func commit(_ batch: StoreCommit) throws(StoreError) -> [Int64]

    /// Runs `body` as one atomic unit: if it throws, every write it made is undone.
    /// Calls may nest (an inner failure caught by the outer body undoes only the inner part).
    func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R
}

extension EventStore {
    public func commit(_ batch: StoreCommit) throws(StoreError) -> [Int64] { try commitInTransaction(batch) }

    /// The generic lookup: a scan of every snapshot (stores with an index do better).
    public func session(id: String) throws(StoreError) -> StoredSession? {
        try allSessions().first { $0.id == id }
    }

    /// Whether a stream reader that has consumed everything up to `position` (in this epoch)
    /// can continue with `events(after: position, …)` without missing events.
    public func canResume(after position: Int64) throws(StoreError) -> Bool {
        let pruned = try prunedThrough()
        let last = try lastOffset()
        return position >= pruned && position <= last
    }
}
