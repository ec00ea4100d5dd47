/// Where a live session stands, for `relay_sessions{state}`: a fixed set of
/// label values, coarser than ``HandoverState`` (a transfer is waiting in a
/// queue again; a failed or ended handover is back with the bot).
public enum SessionPhase: Int, CaseIterable, Sendable {
    /// Talking to the bot (no handover, or the last one is over).
    case bot
    /// The relay is creating the 8x8 conversation.
    case requested
    /// Waiting in an 8x8 queue (also after a transfer).
    case queued
    /// An agent has joined.
    case withAgent
    /// The user ended the chat; the session only replays until it is forgotten.
    case ended

    public var label: String {
        switch self {
        case .bot: "bot"
        case .requested: "requested"
        case .queued: "queued"
        case .withAgent: "with_agent"
        case .ended: "ended"
        }
    }
}

extension Session {
    public var phase: SessionPhase {
        if ended { return .ended }
        switch handover?.state {
        case nil, .ended, .cancelled, .failed: return .bot
        case .requested: return .requested
        case .queued, .transferred: return .queued
        case .active: return .withAgent
        }
    }
}

/// A count of the engine's sessions by phase, and of the 8x8 calls they
/// still have to make. Computed when `/metrics` is scraped (one pass over the
/// sessions) rather than tracked on every state change, so it cannot drift.
public struct SessionCensus: Equatable, Sendable {
    private var phases = [Int](repeating: 0, count: SessionPhase.allCases.count)
    /// 8x8 calls queued in all sessions' outboxes, including the ones in flight.
    public private(set) var pendingGatewayCalls = 0

    public init<S: Sequence<Session>>(_ sessions: S) {
        for session in sessions {
            phases[session.phase.rawValue] += 1
            pendingGatewayCalls += session.outbox.queue.count
        }
    }

    public subscript(phase: SessionPhase) -> Int { phases[phase.rawValue] }
}

extension RelayEngine {
    public var census: SessionCensus { SessionCensus(sessions.values) }
}
