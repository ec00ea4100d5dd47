import RelayJSON

/// A complete `EventStore` in memory, for tests of the core (and a relay run without a
/// data directory). Nothing survives the process, so every instance has a new epoch.
/// Favors simplicity over speed where it does not matter: per-session reads and pruning
/// scan the log. A `transaction` keeps an undo list of its writes (a copy of the whole
/// state would make every commit of a long-running relay O(log size)).
public final class InMemoryStore: EventStore {
    public let epoch: String

    private struct SessionSeq: Hashable {
        let session: String
        let seq: Int
    }

    /// Everything that `transaction` must be able to restore.
    private struct State {
        var log: [StoredEvent] = []                 // sorted by offset
        var used: Set<SessionSeq> = []
        var lastOffset: Int64 = 0
        var prunedThrough: Int64 = 0
        var sessions: [String: JSONValue] = [:]
        var keys: [String: Int64] = [:]             // key → expiresAt
        var cursors: [String: Int64] = [:]
    }

    private var state = State()

    /// How to take back one write; recorded only inside a transaction.
    private enum Undo {
        case append(logCount: Int, lastOffset: Int64)
        case session(String, JSONValue?)
        case key(String, Int64?)
        case cursor(String, Int64?)
        /// Rare bulk changes (prune, expiry) keep the whole previous state.
        case everything(State)
    }

    /// The undo list of the open transaction(s); nil outside any.
    private var undo: [Undo]?

    private func record(_ entry: @autoclosure () -> Undo) {
        if undo != nil { undo!.append(entry()) }
    }

    private func rollBack(to mark: Int) {
        while let count = undo?.count, count > mark {
            switch undo!.removeLast() {
            case .append(let logCount, let lastOffset):
                for event in state.log[logCount...] { state.used.remove(SessionSeq(session: event.sessionID, seq: event.seq)) }
                state.log.removeSubrange(logCount...)
                state.lastOffset = lastOffset
            case .session(let id, let previous): state.sessions[id] = previous
            case .key(let key, let previous): state.keys[key] = previous
            case .cursor(let name, let previous): state.cursors[name] = previous
            case .everything(let previous): state = previous
            }
        }
    }

    public init(epoch: String = StoreEpoch.random()) {
        self.epoch = epoch
    }

    // MARK: event log

    @discardableResult
    public func append(_ events: [NewEvent]) throws(StoreError) -> [Int64] {
        // Validate everything first, so a refused batch leaves no trace.
        var batch: Set<SessionSeq> = []
        for event in events {
            guard event.seq >= 1 else { throw StoreError(.invalid, "seq must be ≥ 1, got \(event.seq) for session \(event.sessionID)") }
            let key = SessionSeq(session: event.sessionID, seq: event.seq)
            guard !state.used.contains(key), batch.insert(key).inserted else {
                throw StoreError(.duplicate, "session \(event.sessionID) already has seq \(event.seq)")
            }
        }
        var offsets: [Int64] = []
        offsets.reserveCapacity(events.count)
        record(.append(logCount: state.log.count, lastOffset: state.lastOffset))
        for event in events {
            state.lastOffset += 1
            state.log.append(StoredEvent(offset: state.lastOffset, event))
            state.used.insert(SessionSeq(session: event.sessionID, seq: event.seq))
            offsets.append(state.lastOffset)
        }
        return offsets
    }

    public func events(after offset: Int64, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        // Binary search for the first event with a greater offset.
        var low = 0, high = state.log.count
        while low < high {
            let mid = (low + high) / 2
            if state.log[mid].offset <= offset { low = mid + 1 } else { high = mid }
        }
        return Array(state.log[low...].prefix(limit))
    }

    public func events(session: String, afterSeq: Int, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let matching = state.log.filter { $0.sessionID == session && $0.seq > afterSeq }
        return Array(matching.sorted { $0.seq < $1.seq }.prefix(limit))
    }

    public func lastOffset() throws(StoreError) -> Int64 { state.lastOffset }

    public func firstOffset() throws(StoreError) -> Int64? { state.log.first?.offset }

    public func firstOffset(since ts: Int64) throws(StoreError) -> Int64? { state.log.first { $0.ts >= ts }?.offset }

    public func prunedThrough() throws(StoreError) -> Int64 { state.prunedThrough }

    @discardableResult
    public func prune(olderThan ts: Int64?, maxEvents: Int?) throws(StoreError) -> Int {
        let before = state.log.count
        var removed: [StoredEvent] = []
        var kept: [StoredEvent] = []
        kept.reserveCapacity(before)
        var excess = maxEvents.map { max(0, before - max(0, $0)) } ?? 0
        // One pass in offset order: the age rule first, then the oldest prunable events
        // until the count is within `maxEvents` (aged-out removals count towards it).
        if let ts {
            for event in state.log {
                if event.ts < ts && state.sessions[event.sessionID] == nil { removed.append(event) } else { kept.append(event) }
            }
            excess = max(0, excess - removed.count)
        } else {
            kept = state.log
        }
        if excess > 0 {
            var rest: [StoredEvent] = []
            rest.reserveCapacity(kept.count)
            for event in kept {
                if excess > 0 && state.sessions[event.sessionID] == nil {
                    removed.append(event)
                    excess -= 1
                } else {
                    rest.append(event)
                }
            }
            kept = rest
        }
        guard !removed.isEmpty else { return 0 }
        record(.everything(state))
        for event in removed {
            state.used.remove(SessionSeq(session: event.sessionID, seq: event.seq))
            state.prunedThrough = max(state.prunedThrough, event.offset)
        }
        state.log = kept
        return removed.count
    }

    // MARK: live sessions

    public func putSession(id: String, state snapshot: JSONValue) throws(StoreError) {
        record(.session(id, state.sessions[id]))
        state.sessions[id] = snapshot
    }

    public func removeSession(id: String) throws(StoreError) {
        record(.session(id, state.sessions[id]))
        state.sessions[id] = nil
    }

    public func allSessions() throws(StoreError) -> [StoredSession] {
        state.sessions.sorted { $0.key < $1.key }.map { StoredSession(id: $0.key, state: $0.value) }
    }

    // MARK: dedupe keys

    public func rememberKey(_ key: String, now: Int64, expiresAt: Int64) throws(StoreError) -> Bool {
        if let existing = state.keys[key], existing > now { return false }
        record(.key(key, state.keys[key]))
        state.keys[key] = expiresAt
        return true
    }

    public func liveKeys(now: Int64) throws(StoreError) -> [String] {
        state.keys.filter { $0.value > now }.map(\.key).sorted()
    }

    @discardableResult
    public func forgetExpiredKeys(now: Int64) throws(StoreError) -> Int {
        let before = state.keys.count
        record(.everything(state))
        state.keys = state.keys.filter { $0.value > now }
        return before - state.keys.count
    }

    // MARK: consumer cursors

    public func cursor(_ name: String) throws(StoreError) -> Int64? { state.cursors[name] }

    public func setCursor(_ name: String, to offset: Int64) throws(StoreError) {
        record(.cursor(name, state.cursors[name]))
        state.cursors[name] = offset
    }

    // MARK: grouping

    public func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        let outermost = undo == nil
        let mark = undo?.count ?? 0
        if outermost { undo = [] }
        defer { if outermost { undo = nil } }
        do {
            return try body()
        } catch {
            rollBack(to: mark)  // only this level's writes: an outer body may handle the error
            throw error
        }
    }
}
