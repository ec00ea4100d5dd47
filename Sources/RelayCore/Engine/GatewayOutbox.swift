import HTTPModel
import RelayJSON

/// One 8x8 call waiting to be made for a session.
public enum GatewayOperation: Equatable, Sendable {
    /// Built when the handover starts (the transcript is frozen then). The
    /// generation tells a late answer for an earlier handover of the same
    /// session from the current one. Only the body is kept (it is persisted):
    /// the headers, with the API key, are added from the provider at send time.
    case createConversation(body: JSONValue, provider: String, generation: Int)
    /// A user message, by its seq in the session log, for the current handover's conversation.
    case sendMessage(text: String, seq: Int)
    /// For the current handover's conversation.
    case typing
    /// Leaves a conversation. It names its conversation and provider because it
    /// may run after a new handover of the same session has started.
    case removeUser(conversationID: String, provider: String)

    var isRemoveUser: Bool {
        if case .removeUser = self { return true }
        return false
    }

    /// The seq of a user message to send.
    var messageSeq: Int? {
        if case .sendMessage(_, let seq) = self { return seq }
        return nil
    }

    var name: String {
        switch self {
        case .createConversation: "create conversation"
        case .sendMessage: "send message"
        case .typing: "typing"
        case .removeUser: "remove user"
        }
    }
}

/// The per-session queue of 8x8 calls. One call is in flight at a time so
/// 8x8 sees messages in the order the user sent them; the head is retried
/// with backoff until it succeeds or the policy gives up.
public struct GatewayOutbox: Equatable, Sendable {
    public private(set) var queue: [GatewayOperation] = []
    /// Changes with every change of the saved part of the outbox (see
    /// ``SessionSnapshot/pendingCalls``), not with in-flight bookkeeping.
    public private(set) var queueVersion = 0
    /// User messages up to this seq are settled: sent, given up, or not for the
    /// current handover (it moves to the log's end when a handover starts). While
    /// the session is with a human, every user message after it is either queued
    /// here or on its way, so a snapshot need not list them: a restore finds them
    /// in the log. A queued message therefore changes nothing saved; only its
    /// completion does, once (the snapshot used to be rewritten twice per message,
    /// with every queued text in it — quadratic once 8x8 fell behind).
    public private(set) var messagesSettledThrough = 0
    public private(set) var inFlight: CallID?
    /// Set while waiting to retry the head.
    public private(set) var retryTimer: TimerID?
    /// Attempts made for the head so far.
    public private(set) var attempts = 0

    public init() {}

    /// An outbox as saved before a restart: nothing is in flight any more.
    init(restoring queue: [GatewayOperation], messagesSettledThrough: Int = 0) {
        self.queue = queue
        self.messagesSettledThrough = messagesSettledThrough
    }

    public var isIdle: Bool { inFlight == nil && retryTimer == nil }
    public var head: GatewayOperation? { queue.first }

    /// Puts `op` before everything not yet started (leaving a conversation
    /// should not wait behind a new handover's calls).
    mutating func enqueueNext(_ op: GatewayOperation) {
        if op != .typing { queueVersion &+= 1 }
        queue.insert(op, at: inFlight == nil && retryTimer == nil ? 0 : min(1, queue.count))
    }

    /// Queues `op` last. A user message changes nothing saved (see ``messagesSettledThrough``).
    mutating func enqueue(_ op: GatewayOperation) {
        // Typing is a hint: one pending notification is enough.
        if op == .typing, queue.dropFirst(inFlight == nil ? 0 : 1).contains(.typing) { return }
        if op != .typing, op.messageSeq == nil { queueVersion &+= 1 }
        queue.append(op)
    }

    /// Marks every user message up to `seq` as settled (a handover starts after them).
    mutating func settleMessages(through seq: Int) {
        guard seq > messagesSettledThrough else { return }
        messagesSettledThrough = seq
        queueVersion &+= 1
    }

    mutating func started(_ call: CallID) {
        inFlight = call
        retryTimer = nil
        attempts += 1
    }

    mutating func waitToRetry(_ timer: TimerID) {
        inFlight = nil
        retryTimer = timer
    }

    mutating func retryDue() { retryTimer = nil }

    /// The head is done (delivered or given up).
    mutating func finishHead() {
        if !queue.isEmpty {
            let head = queue.removeFirst()
            if head != .typing { queueVersion &+= 1 }
            if let seq = head.messageSeq { messagesSettledThrough = max(messagesSettledThrough, seq) }
        }
        inFlight = nil
        retryTimer = nil
        attempts = 0
    }

    /// Drops everything not yet started that needs a conversation (after the
    /// handover is over), keeping `removeUser` so 8x8 frees the agent.
    mutating func dropPending(keepingRemoveUser: Bool) {
        let active = inFlight != nil ? Array(queue.prefix(1)) : []
        let rest = queue.dropFirst(active.count).filter { keepingRemoveUser && $0.isRemoveUser }
        if queue.count != active.count + rest.count { queueVersion &+= 1 }
        queue = active + rest
        if inFlight == nil { retryTimer = nil; attempts = 0 }
    }
}
