import HTTPModel

/// Which bot answers before (and after) a handover.
public enum BotConfiguration: Equatable, Sendable {
    /// The embedded rule bot: greetings, FAQs, handover keywords.
    case rules(RuleBotScript)
    /// An HTTP bot: the relay POSTs each turn and relays its replies.
    case external(ExternalBotSettings)
}

/// A bot's answer to one turn.
public struct BotTurn: Equatable, Sendable {
    public var replies: [String]
    /// Set when the bot hands the user to a human.
    public var handover: HandoverRequest?

    public init(replies: [String], handover: HandoverRequest? = nil) {
        self.replies = replies
        self.handover = handover
    }
}

/// Something the bot is told about, for either kind of bot.
public enum BotEvent: Equatable, Sendable {
    case sessionStarted(UserInfo)
    case userMessage(String)
    /// The user is back from a human; the bot learns how it went.
    case handoverFinished(HandoverState)
}
