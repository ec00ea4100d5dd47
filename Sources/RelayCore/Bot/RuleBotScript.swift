import RelayJSON

/// The embedded bot's script: what it says and which words hand over.
/// Loaded from a JSON file (`--bot-script`) or the built-in default.
public struct RuleBotScript: Equatable, Sendable {
    public struct FAQ: Equatable, Sendable {
        public var keywords: [String]
        public var answer: String
        public init(keywords: [String], answer: String) {
            self.keywords = keywords
            self.answer = answer
        }
    }

    public var greeting: String
    public var handoverKeywords: [String]
    public var handoverReply: String
    public var fallback: String
    public var faqs: [FAQ]
    public var afterAgent: String
    public var afterCancel: String
    public var afterFailure: String

    public init(greeting: String, handoverKeywords: [String], handoverReply: String, fallback: String, faqs: [FAQ],
                afterAgent: String, afterCancel: String, afterFailure: String) {
        self.greeting = greeting
        self.handoverKeywords = handoverKeywords
        self.handoverReply = handoverReply
        self.fallback = fallback
        self.faqs = faqs
        self.afterAgent = afterAgent
        self.afterCancel = afterCancel
        self.afterFailure = afterFailure
    }

    public static let `default` = RuleBotScript(
        greeting: "Hi {name}! I'm the virtual assistant. Ask me about orders, delivery, returns or opening hours — or say \"agent\" any time to talk to a person.",
        handoverKeywords: ["agent", "human", "person", "representative", "operator", "real person", "someone real", "speak to someone", "talk to someone"],
        handoverReply: "Sure — I'm connecting you to an agent now. I'll pass on our conversation so you don't have to repeat yourself.",
        fallback: "I'm not sure I understood. I can help with orders, delivery, returns and opening hours, or say \"agent\" to talk to a person.",
        faqs: [
            FAQ(keywords: ["hours", "open", "opening", "close", "closing"],
                answer: "Our support team is available Monday to Friday, 8:00–20:00, and Saturday 9:00–14:00."),
            FAQ(keywords: ["delivery", "shipping", "ship", "deliver", "arrive"],
                answer: "Standard delivery takes 2–4 working days; express delivery arrives the next working day if you order before 14:00."),
            FAQ(keywords: ["return", "returns", "refund", "exchange"],
                answer: "You can return any item within 30 days. Start a return from Orders → Return item; refunds reach your account 3–5 days after we receive it."),
            FAQ(keywords: ["order", "status", "track", "tracking", "where"],
                answer: "You can track your order from the link in your confirmation email. If it hasn't moved in 3 days, say \"agent\" and we'll look into it."),
            FAQ(keywords: ["password", "login", "account", "sign"],
                answer: "To reset your password, use \"Forgot password\" on the sign-in page; the link is valid for 1 hour."),
        ],
        afterAgent: "You're back with the virtual assistant. Is there anything else I can help with?",
        afterCancel: "No problem, you're back with the virtual assistant. How can I help?",
        afterFailure: "I'm sorry, I couldn't connect you to an agent ({reason}). You're back with the virtual assistant — say \"agent\" to try again.")

    /// Parses a script file; missing keys keep the default's text.
    public static func parse(_ json: JSONValue) throws(ConfigError) -> RuleBotScript {
        guard case .object = json else { throw ConfigError(key: "bot script", problem: "must be a JSON object") }
        var script = RuleBotScript.default
        let reader = ConfigReader(json: json, path: "")
        script.greeting = try reader.string("greeting") ?? script.greeting
        script.handoverKeywords = try reader.stringArray("handoverKeywords") ?? script.handoverKeywords
        script.handoverReply = try reader.string("handoverReply") ?? script.handoverReply
        script.fallback = try reader.string("fallback") ?? script.fallback
        script.afterAgent = try reader.string("afterAgent") ?? script.afterAgent
        script.afterCancel = try reader.string("afterCancel") ?? script.afterCancel
        script.afterFailure = try reader.string("afterFailure") ?? script.afterFailure
        if let faqs = json["faqs"] {
            guard let list = faqs.arrayValue else { throw ConfigError(key: "faqs", problem: "must be an array") }
            script.faqs = try list.enumerated().map { (index, item) throws(ConfigError) in
                let r = ConfigReader(json: item, path: "faqs[\(index)].")
                guard let keywords = try r.stringArray("keywords"), !keywords.isEmpty else {
                    throw ConfigError(key: "faqs[\(index)].keywords", problem: "must be a non-empty array of strings")
                }
                guard let answer = try r.string("answer") else { throw ConfigError(key: "faqs[\(index)].answer", problem: "is required") }
                return FAQ(keywords: keywords, answer: answer)
            }
        }
        return script
    }
}
