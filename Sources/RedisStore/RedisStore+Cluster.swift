import RelayJSON
import RelayStore

/// Several relay nodes on one Redis (issue 8; docs/REDIS.md "Several nodes").
///
/// Keys added to the single-node layout: `owners` (hash session → node), `node:<id>`
/// (heartbeat, expires), `nodes` (set of registered nodes), `nodesessions:<id>` (set of
/// the sessions a node owns, for takeover), `convs` (hash conversation → session) and
/// `convsof:<session>`, `inbox:<id>` (a Stream per node), `lease:<name>`.
extension RedisStore: ClusterStore {
    public var nodeID: String { options.nodeID ?? "" }

    // MARK: commit

    /// One apply call: the script numbers the events, so two nodes committing at once never
    /// conflict (inside an explicit `transaction` it falls back to the buffered calls). With
    /// `batch.id`, sending the same batch again returns the first call's offsets.
    public func commit(_ batch: StoreCommit) throws(StoreError) -> [Int64] {
        guard pending == nil else { return try commitInTransaction(batch) }
        guard !batch.isEmpty else { return [] }
        let appends = try Self.appendOps(batch.events)
        var ops: [RedisArg] = []
        ops.reserveCapacity(appends.count + batch.snapshots.count * 3 + 8)
        if let id = batch.id { ops += ["I", .text(id)] }
        if let node = options.nodeID {
            for session in batch.sessionsWritten { ops += ["O", .text(session), .text(node)] }
        }
        ops += appends
        for snapshot in batch.snapshots { ops += ["P", .text(snapshot.id), .text(snapshot.state.serialized)] }
        for link in batch.conversations { ops += ["V", .text(link.conversationID), .text(link.sessionID)] }
        for id in batch.removed { ops += ["R", .text(id)] }
        for key in batch.keys { ops += ["K", .text(key.key), .int(batch.now), .int(key.expiresAt)] }
        let first = try apply(ops, expectedLast: nil)[0]
        return batch.events.indices.map { first + 1 + Int64($0) }
    }

    // MARK: membership

    public func heartbeat(ttlMs: Int) throws(StoreError) {
        try requireNode()
        _ = try eval(RedisScripts.heartbeat, keys: [key("node:" + nodeID), key("nodes")], args: [.text(nodeID), .int(Int64(max(1, ttlMs)))])
    }

    public func leave() throws(StoreError) {
        try requireNode()
        _ = try run(["DEL", key("node:" + nodeID)])
    }

    public func liveNodes() throws(StoreError) -> Set<String> {
        let nodes = try run(["SMEMBERS", key("nodes")]).elements.compactMap(\.text)
        var alive: Set<String> = []
        for node in nodes where try run(["EXISTS", key("node:" + node)]).int == 1 { alive.insert(node) }
        return alive
    }

    // MARK: ownership

    public func claim(session: String) throws(StoreError) -> SessionClaim {
        try requireNode()
        let reply = try eval(RedisScripts.claim, keys: [key("sessions"), key("owners")],
                             args: [.text(session), .text(nodeID), .text(keyPrefix)]).elements
        switch reply.first?.text {
        case "owned": return .owned
        case "taken": return .takenOver
        case "other": return .ownedBy(reply.count > 1 ? reply[1].text ?? "" : "")
        default: return .unknown
        }
    }

    public func session(forConversation conversationID: String) throws(StoreError) -> String? {
        try run(["HGET", key("convs"), .text(conversationID)]).text
    }

    public func takeOverOrphans(limit: Int) throws(StoreError) -> [String] {
        try requireNode()
        guard limit > 0 else { return [] }
        return try eval(RedisScripts.takeOver, keys: [key("nodes"), key("owners")],
                        args: [.text(nodeID), .text(keyPrefix), .int(Int64(limit))]).elements.compactMap(\.text)
    }

    // MARK: messages, dedupe, leases

    /// One XADD per node: the batch for a node is one entry (fields "0", "1", …), so it
    /// arrives together and in order. Inboxes are capped (MAXLEN ~): a node that is gone
    /// for good does not make its inbox grow without bound.
    public func post(_ messages: [NodeMessage]) throws(StoreError) {
        var byNode: [(node: String, payloads: [[UInt8]])] = []
        for message in messages {
            if let index = byNode.firstIndex(where: { $0.node == message.node }) {
                byNode[index].payloads.append(message.payload)
            } else {
                byNode.append((message.node, [message.payload]))
            }
        }
        for (node, payloads) in byNode {
            var args: [RedisArg] = ["XADD", key("inbox:" + node), "MAXLEN", "~", .int(Self.inboxCap), "*"]
            for (index, payload) in payloads.enumerated() { args += [.int(Int64(index)), .bytes(payload)] }
            _ = try run(args)
        }
    }

    static let inboxCap: Int64 = 100_000

    public func hasKey(_ key: String, now: Int64) throws(StoreError) -> Bool {
        guard let score = try run(["ZSCORE", self.key("keys"), .text(key)]).text, let expires = Double(score) else { return false }
        return Int64(expires) > now
    }

    public func lease(_ name: String, ttlMs: Int) throws(StoreError) -> Bool {
        try requireNode()
        return try eval(RedisScripts.lease, keys: [key("lease:" + name)], args: [.text(nodeID), .int(Int64(max(1, ttlMs)))]).int == 1
    }

    public func openListener(afterOffset: Int64) throws(StoreError) -> any ClusterListener {
        try requireNode()
        // Its own connection: XREAD BLOCK holds the connection for the whole wait.
        let listenerOptions = RedisConnection.Options(connectTimeoutMs: options.connectTimeoutMs,
                                                      commandTimeoutMs: options.commandTimeoutMs + RedisListener.blockLimitMs)
        return RedisListener(connection: try RedisConnection(url: url, options: listenerOptions),
                             inbox: keyPrefix + "inbox:" + nodeID, log: keyPrefix + "log", afterOffset: afterOffset)
    }

    private func requireNode() throws(StoreError) {
        guard options.nodeID != nil else { throw StoreError(.invalid, "this Redis store has no node id (RedisStore.Options.nodeID)") }
    }
}
