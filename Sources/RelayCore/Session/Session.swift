import RelayJSON

/// One end user's conversation: identity, its event log, the current (or last)
/// handover, the connections watching it and its queue of 8x8 calls.
public struct Session: Equatable, Sendable {
    public let id: SessionID
    /// Proves the right to resume; compared in constant time.
    public let resumeToken: String
    public var user: UserInfo { didSet { if oldValue != user { durableVersion &+= 1 } } }
    public var log = SessionLog()
    /// The handover in progress, or the last one (terminal) once back with the bot.
    public var handover: Handover? { didSet { if oldValue != handover { durableVersion &+= 1 } } }
    public var connections: Set<ConnectionID> = []
    public var outbox = GatewayOutbox()
    /// The copilot workspace's tiles and change stream.
    public var copilot = CopilotFeed()
    /// The additional properties the last handover sent to 8x8, minus the copilot link: `[{key, value}]`.
    public var handoverProperties: JSONValue = .array([]) { didSet { if oldValue != handoverProperties { durableVersion &+= 1 } } }
    /// Counts handovers of this session (see ``GatewayOperation/createConversation(body:provider:generation:)``).
    public var handoverGeneration = 0 { didSet { if oldValue != handoverGeneration { durableVersion &+= 1 } } }
    /// After `end` the session only replays; it accepts nothing new.
    public var ended = false { didSet { if oldValue != ended { durableVersion &+= 1 } } }
    /// Changes whenever a field of the ``SessionSnapshot`` (other than the
    /// outbox, which counts its own) changes — assignments of an equal value
    /// (a webhook that leaves the handover as it was) do not count — so the journal knows
    /// which snapshots to rewrite without keeping a copy of each to compare.
    public private(set) var durableVersion = 0

    /// Changes whenever the saved state may have changed.
    var snapshotVersion: SnapshotVersion { SnapshotVersion(fields: durableVersion, outbox: outbox.queueVersion) }
    /// Throttles typing notifications to 8x8.
    var lastTypingSentMs: Int64 = .min

    public init(id: SessionID, resumeToken: String, user: UserInfo) {
        self.id = id
        self.resumeToken = resumeToken
        self.user = user
    }

    /// True while a human (or the queue) owns the conversation; the bot is silent.
    public var isWithHuman: Bool { handover.map { !$0.state.isTerminal } ?? false }
}

/// Identifies a state of a session's durable fields (see ``Session/snapshotVersion``).
struct SnapshotVersion: Equatable, Sendable {
    var fields: Int
    var outbox: Int
}
