/// Which way a chat message travelled, for `relay_messages_total{direction}`.
/// A fixed set, so the metric's cardinality is bounded.
public enum MessageDirection: Int, CaseIterable, Sendable {
    case userToBot, userTo8x8, botToUser, agentToUser, systemToUser

    /// The Prometheus label value.
    public var label: String {
        switch self {
        case .userToBot: "user_to_bot"
        case .userTo8x8: "user_to_8x8"
        case .botToUser: "bot_to_user"
        case .agentToUser: "agent_to_user"
        case .systemToUser: "system_to_user"
        }
    }

    /// A user's message goes to 8x8 while a human (or the queue) owns the
    /// conversation, to the bot otherwise; everything else goes to the user.
    public init(author: Author, withHuman: Bool) {
        switch author {
        case .user: self = withHuman ? .userTo8x8 : .userToBot
        case .bot: self = .botToUser
        case .agent: self = .agentToUser
        case .system: self = .systemToUser
        }
    }
}

/// Messages appended to session logs since start, by direction. Plain
/// integers in the core (one array increment per message, no metrics
/// library); the shell turns them into counters when `/metrics` is scraped.
public struct MessageTally: Equatable, Sendable {
    private var counts = [Int](repeating: 0, count: MessageDirection.allCases.count)

    public init() {}

    public subscript(direction: MessageDirection) -> Int { counts[direction.rawValue] }

    public mutating func count(_ direction: MessageDirection) { counts[direction.rawValue] &+= 1 }
}
