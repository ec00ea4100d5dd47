import RelayJSON

/// Everything one service turn of the relay makes durable, written by
/// ``EventStore/commit(_:)`` as one atomic unit.
///
/// One value instead of a sequence of calls inside `transaction`, so that a
/// store shared by several relays (Redis) can apply it in a single round trip
/// and number the events itself, without reading the last offset first and
/// then losing a race to another node's commit.
public struct StoreCommit: Sendable {
    /// Names this batch, so that sending it again after an unknown outcome (a timeout: the
    /// store may have applied it) applies it at most once. Stores whose commits cannot have
    /// an unknown outcome (SQLite, memory) ignore it.
    public var id: String?
    public var events: [NewEvent] = []
    /// Snapshots to save (replacing the previous ones).
    public var snapshots: [StoredSession] = []
    /// Sessions whose snapshots go (finished).
    public var removed: [String] = []
    /// Dedupe keys to remember, each until its expiry (`rememberKey` at `now`).
    public var keys: [DedupeKey] = []
    public var now: Int64 = 0
    /// 8x8 conversation id → session, so that a node receiving a webhook for a
    /// session another node owns can find it. Single-node stores ignore them
    /// (the relay keeps the map in memory).
    public var conversations: [ConversationLink] = []

    public init() {}

    public var isEmpty: Bool {
        events.isEmpty && snapshots.isEmpty && removed.isEmpty && keys.isEmpty && conversations.isEmpty
    }

    /// Every session this commit writes to (events, snapshot, removal or conversation
    /// link): the sessions a shared store checks the committing node still owns. A
    /// removal counts: a node presumed dead that sweeps a session taken over since
    /// must not delete the new owner's snapshot.
    public var sessionsWritten: [String] {
        var seen: Set<String> = []
        return (events.map(\.sessionID) + snapshots.map(\.id) + removed + conversations.map(\.sessionID))
            .filter { seen.insert($0).inserted }
    }
}

public struct DedupeKey: Equatable, Sendable {
    public var key: String
    public var expiresAt: Int64
    public init(_ key: String, expiresAt: Int64) {
        self.key = key
        self.expiresAt = expiresAt
    }
}

public struct ConversationLink: Equatable, Sendable {
    public var conversationID: String
    public var sessionID: String
    public init(conversationID: String, sessionID: String) {
        self.conversationID = conversationID
        self.sessionID = sessionID
    }
}

extension EventStore {
    /// The generic commit: the calls of a `transaction`. Stores that can do
    /// better (one round trip, no offset race) implement `commit` themselves.
    public func commitInTransaction(_ batch: StoreCommit) throws(StoreError) -> [Int64] {
        try transaction { () throws(StoreError) -> [Int64] in
            let offsets = try append(batch.events)
            for snapshot in batch.snapshots { try putSession(id: snapshot.id, state: snapshot.state) }
            for id in batch.removed { try removeSession(id: id) }
            for key in batch.keys { _ = try rememberKey(key.key, now: batch.now, expiresAt: key.expiresAt) }
            return offsets
        }
    }
}
