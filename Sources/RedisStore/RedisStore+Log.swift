import RelayJSON
import RelayStore

/// The event log: a Stream keyed by offset plus a seq → offset index per session (docs/REDIS.md).
extension RedisStore {
    @discardableResult
    public func append(_ events: [NewEvent]) throws(StoreError) -> [Int64] {
        guard !events.isEmpty else { return [] }
        let ops = try Self.appendOps(events)
        var batch: Set<SessionSeq> = []
        for event in events where !batch.insert(SessionSeq(session: event.sessionID, seq: event.seq)).inserted {
            throw StoreError(.duplicate, "session \(event.sessionID) already has seq \(event.seq)")
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

    /// The apply script's `A` ops for `events` (refusing a seq < 1 before anything is sent).
    static func appendOps(_ events: [NewEvent]) throws(StoreError) -> [RedisArg] {
        if let bad = events.first(where: { $0.seq < 1 }) {
            throw StoreError(.invalid, "seq must be ≥ 1, got \(bad.seq) for session \(bad.sessionID)")
        }
        var ops: [RedisArg] = []
        ops.reserveCapacity(events.count * 6)
        for event in events {
            ops += ["A", .text(event.sessionID), .int(Int64(event.seq)), .int(event.ts), .text(event.kind),
                    .bytes(event.payloadJSON)]
        }
        return ops
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
    static func event(_ entry: RedisReply) throws(StoreError) -> StoredEvent {
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
        // Kept as stored, like SQLiteStore: readers splice or parse it (StoredEvent.payloadJSON).
        return StoredEvent(offset: offset, sessionID: session, seq: Int(seq), ts: ts, kind: kind, payloadJSON: payload)
    }

    static func json(_ bytes: [UInt8], what: String) throws(StoreError) -> JSONValue {
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
    func refuseInTransaction(_ what: String) throws(StoreError) {
        if pending != nil { throw StoreError(.invalid, "\(what) cannot run inside a transaction on the Redis store") }
    }
}
