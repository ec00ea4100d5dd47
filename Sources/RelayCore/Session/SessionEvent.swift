import RelayJSON

/// Who wrote a transcript message.
public enum Author: String, Equatable, Sendable {
    case user, bot, agent, system
}

/// One stored, numbered event of a session: the unit of replay.
public struct SessionEvent: Equatable, Sendable {
    public let seq: Int
    public let ts: Int64
    public let kind: Kind

    public enum Kind: Equatable, Sendable {
        case message(Message)
        case handover(HandoverState)
    }

    public struct Message: Equatable, Sendable {
        public var from: Author
        public var text: String
        /// The client message id, for user messages.
        public var clientID: String?
        /// The 8x8 agent id, for agent messages.
        public var agentID: String?

        public init(from: Author, text: String, clientID: String? = nil, agentID: String? = nil) {
            self.from = from
            self.text = text
            self.clientID = clientID
            self.agentID = agentID
        }
    }

    public init(seq: Int, ts: Int64, kind: Kind) {
        self.seq = seq
        self.ts = ts
        self.kind = kind
    }

    public var message: Message? {
        if case .message(let m) = kind { return m }
        return nil
    }
}

/// The append-only, per-session event log: assigns `seq` and answers
/// "everything after n" for resumes. It also remembers which client message
/// ids it has stored, so a retransmitted message is acknowledged, not re-sent.
public struct SessionLog: Equatable, Sendable {
    public private(set) var events: [SessionEvent] = []
    private var seqByClientID: [String: Int] = [:]

    public init() {}

    /// A log rebuilt from stored events (in seq order, as the store returns them).
    init(restoring stored: [SessionEvent]) {
        for event in stored {
            events.append(event)
            if case .message(let m) = event.kind, let id = m.clientID { seqByClientID[id] = event.seq }
        }
    }

    public var lastSeq: Int { events.last?.seq ?? 0 }

    @discardableResult
    public mutating func append(_ kind: SessionEvent.Kind, ts: Int64) -> SessionEvent {
        let event = SessionEvent(seq: lastSeq + 1, ts: ts, kind: kind)
        events.append(event)
        if case .message(let m) = kind, let id = m.clientID { seqByClientID[id] = event.seq }
        return event
    }

    /// The seq under which a client message id was stored, if it was.
    public func seq(forClientID id: String) -> Int? { seqByClientID[id] }

    /// Events with `seq > after`, in order. seq n lives at index n-1.
    public func events(after seq: Int) -> ArraySlice<SessionEvent> {
        let start = min(max(seq, 0), events.count)
        return events[start...]
    }

    /// The transcript so far (messages only), oldest first.
    public var messages: [SessionEvent.Message] { events.compactMap(\.message) }
}
