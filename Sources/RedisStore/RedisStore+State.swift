import RelayJSON
import RelayStore

/// Snapshots, dedupe keys, cursors, and deleting a whole store.
extension RedisStore {
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

    public func session(id: String) throws(StoreError) -> StoredSession? {
        guard case .string(let state) = try run(["HGET", key("sessions"), .text(id)]) else { return nil }
        return StoredSession(id: id, state: try Self.json(state, what: "state of session \(id)"))
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

    // MARK: whole store

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
}
