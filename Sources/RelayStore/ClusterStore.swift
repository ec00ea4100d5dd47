/// A store that several relay nodes share (Redis), with what the nodes need to
/// coordinate through it: who is alive, which node owns each live session,
/// where an 8x8 conversation belongs, and a durable inbox per node.
///
/// **Ownership.** Every live session has exactly one owner node, which runs its
/// state machine: its bot, its 8x8 calls, its outbox. A node owns a session it
/// created (its first commit claims it) or one it claimed from a dead node.
/// `commit` refuses (`.fenced`) writes to sessions another node owns, so a
/// node that was presumed dead and comes back cannot fork a session's log.
///
/// **Liveness.** A node is alive while its heartbeat (renewed every second or
/// so, with a time to live of a few seconds) has not expired. Sessions of a
/// dead node are claimed by whichever node asks first: for one session
/// (`claim`, when a user or webhook for it arrives) or in batches (`takeOverOrphans`).
///
/// Like `EventStore`, used only from the relay's service thread; the listener
/// has its own connection and is used only from its own thread.
public protocol ClusterStore: EventStore {
    /// This node's name, unique among the nodes sharing the store.
    var nodeID: String { get }

    /// Registers this node and keeps it alive for `ttlMs` more milliseconds.
    func heartbeat(ttlMs: Int) throws(StoreError)

    /// Unregisters this node at a clean shutdown: its sessions become orphans at once
    /// (the other nodes take them over without waiting for the heartbeat to expire).
    func leave() throws(StoreError)

    /// The registered nodes whose heartbeat has not expired (this one included).
    func liveNodes() throws(StoreError) -> Set<String>

    /// Makes this node the owner of a live session if nobody alive owns it.
    func claim(session: String) throws(StoreError) -> SessionClaim

    /// The live session a conversation belongs to (see ``StoreCommit/conversations``).
    func session(forConversation conversationID: String) throws(StoreError) -> String?

    /// Claims up to `limit` sessions of dead nodes; returns them (to be restored).
    func takeOverOrphans(limit: Int) throws(StoreError) -> [String]

    /// Appends messages to other nodes' inboxes, in order per node.
    func post(_ messages: [NodeMessage]) throws(StoreError)

    /// Whether a dedupe key is recorded and not expired at `now` (a webhook id seen by any node).
    func hasKey(_ key: String, now: Int64) throws(StoreError) -> Bool

    /// Takes or renews a named lease for `ttlMs`; true while this node holds it. For work
    /// exactly one node must do (an integrator's webhook feed).
    func lease(_ name: String, ttlMs: Int) throws(StoreError) -> Bool

    /// The epoch stored now; nil when the data is gone. Differs from `epoch` after a loss.
    func storedEpoch() throws(StoreError) -> String?

    /// After a loss (`.lost`, or `storedEpoch` differs): writes go on under the current
    /// epoch, a new history (the caller writes its live state again).
    func reopen() throws(StoreError)

    /// A second connection, for one background thread, that waits for this node's inbox
    /// messages and for every event appended to the log (by any node).
    func openListener(afterOffset: Int64) throws(StoreError) -> any ClusterListener
}

/// The outcome of ``ClusterStore/claim(session:)``.
public enum SessionClaim: Equatable, Sendable {
    /// This node owned it already.
    case owned
    /// This node owns it now: it belonged to a dead node (or to none) and must be restored from the store.
    case takenOver
    /// A live node owns it: route to that node.
    case ownedBy(String)
    /// No live session by that id (never existed, or finished).
    case unknown
}

/// A message for another node's inbox (opaque bytes; the relay's cluster codec).
public struct NodeMessage: Equatable, Sendable {
    public var node: String
    public var payload: [UInt8]
    public init(node: String, payload: [UInt8]) {
        self.node = node
        self.payload = payload
    }
}

/// What one wait of a ``ClusterListener`` brought.
public struct ClusterDelivery: Sendable {
    /// This node's inbox messages, in the order they were posted.
    public var messages: [[UInt8]] = []
    /// Events appended since the previous wait, in offset order.
    public var events: [StoredEvent] = []
    public init() {}
    public var isEmpty: Bool { messages.isEmpty && events.isEmpty }
}

/// Waits on a shared store for a node's messages and for new log events.
/// Used from one thread only (not the service thread: it blocks).
public protocol ClusterListener: AnyObject {
    /// Blocks up to `timeoutMs` until something arrives; returns it (or nothing on timeout).
    /// - Parameter logAfter: nil: wait for inbox messages only (nobody on this node wants the
    ///   log now; the position is kept). Otherwise also the log's events after the listener's
    ///   position or after `logAfter`, whichever is later.
    func next(timeoutMs: Int, logAfter: Int64?) throws(StoreError) -> ClusterDelivery
    func close()
}
