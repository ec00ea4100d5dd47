/// The embedded rule bot. Pure: same input, same answer.
public struct RuleBot: Equatable, Sendable {
    public let script: RuleBotScript
    /// Keyword phrases split into words once, not on every message.
    private let handoverPhrases: [[Substring]]
    private let faqPhrases: [[[Substring]]]

    public init(script: RuleBotScript = .default) {
        self.script = script
        handoverPhrases = script.handoverKeywords.map(Self.words)
        faqPhrases = script.faqs.map { $0.keywords.map(Self.words) }
    }

    public func respond(to event: BotEvent) -> BotTurn {
        switch event {
        case .sessionStarted(let user):
            return BotTurn(replies: [script.greeting.replacingPlaceholder("name", with: user.name ?? "there")])
        case .userMessage(let text):
            return reply(to: text)
        case .handoverFinished(let outcome):
            switch outcome {
            case .cancelled: return BotTurn(replies: [script.afterCancel])
            case .failed(let reason): return BotTurn(replies: [script.afterFailure.replacingPlaceholder("reason", with: reason)])
            default: return BotTurn(replies: [script.afterAgent])
            }
        }
    }

    func reply(to text: String) -> BotTurn {
        let words = Self.words(text)
        if handoverPhrases.contains(where: { Self.contains(phrase: $0, in: words) }) {
            return BotTurn(replies: [script.handoverReply], handover: HandoverRequest())
        }
        // The FAQ with the most matching keywords wins; ties go to the earlier entry.
        var best: (score: Int, answer: String)?
        for (faq, phrases) in zip(script.faqs, faqPhrases) {
            let score = phrases.filter { Self.contains(phrase: $0, in: words) }.count
            if score > 0, score > (best?.score ?? 0) { best = (score, faq.answer) }
        }
        return BotTurn(replies: [best?.answer ?? script.fallback])
    }

    /// Lower-cased words of letters and digits ("Where's my order?" → where, s, my, order).
    static func words(_ text: String) -> [Substring] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
    }

    /// Whole-word phrase match, so "agent" matches "an agent please" but not "agentic".
    static func contains(phrase: [Substring], in words: [Substring]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= words.count else { return false }
        for start in 0...(words.count - phrase.count) where words[start..<(start + phrase.count)].elementsEqual(phrase) {
            return true
        }
        return false
    }
}

extension String {
    func replacingPlaceholder(_ name: String, with value: String) -> String {
        var result = ""
        var rest = self[...]
        let token = "{\(name)}"
        while let range = rest.firstRange(of: token) {
            result += rest[..<range.lowerBound] + value
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
