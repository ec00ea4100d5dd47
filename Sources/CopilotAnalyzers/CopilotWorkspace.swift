import RelayJSON

/// One transcript line as the copilot sees it.
public struct CopilotMessage: Sendable, Equatable {
    public var seq: Int
    /// "user", "bot", "agent" or "system".
    public var from: String
    public var text: String
    /// Milliseconds since the epoch (carried, not read: the analyzers never look at clocks).
    public var ts: Int64

    public init(seq: Int, from: String, text: String, ts: Int64) {
        self.seq = seq
        self.from = from
        self.text = text
        self.ts = ts
    }
}

public struct CopilotAnalyzerSettings: Sendable {
    /// The last N user messages form the knowledge-base query.
    public var knowledgeQueryMessages = 3
    /// How many articles the knowledge tile suggests.
    public var knowledgeResults = 3
    public var redaction = RedactionOptions()
    /// Language code selecting the lexicon (`Lexicon.forLanguage`); unknown codes fall back to English.
    public var language = "en"
    /// The last N messages of each sender that next-best-action rules look at.
    public var actionWindowMessages = 3
    /// At most this many suggested actions.
    public var maxActions = 3
    /// The sentiment tile lists the last N user messages.
    public var sentimentHistory = 20

    public init() {}
}

/// The copilot's analysis of one conversation, updated message by message.
///
/// `append` does the per-message work once — words, stems, sentiment,
/// entities, redaction, summary terms, and (for user messages) the
/// knowledge-base search — so `tileData()` only assembles small windows
/// (the last 20 user messages, the last few messages per sender) and the
/// summary scores. Copies are cheap (copy-on-write arrays; the knowledge base
/// is shared), so a shell can keep one workspace per conversation.
///
/// Deterministic: no clocks, no randomness, no network; the same messages
/// give the same tiles whether appended one at a time or all at once.
public struct CopilotWorkspace: Sendable {
    public let settings: CopilotAnalyzerSettings
    public let knowledgeBase: KnowledgeBase
    public let rules: NextBestActionRules
    let lexicon: Lexicon
    let analyzer: SentimentAnalyzer

    struct Analyzed: Sendable {
        var seq: Int
        var sender: RuleSender
        /// Stemmed words, for rules.
        var stems: [String]
        /// User messages only.
        var sentiment: Sentiment?
        /// User messages only: lowercased content words (no stopwords, numbers or personal data), for the knowledge query.
        var queryWords: [String]
        /// User messages only: nothing but greetings, thanks or a bare request for a person.
        var isSmallTalk: Bool
    }

    private(set) var messages: [Analyzed] = []
    private var userIndices: [Int] = []
    private var senderIndices: [RuleSender: [Int]] = [:]
    /// The running mood (see `SentimentAnalyzer.current`); nil until a user message carries sentiment.
    private var currentSentiment: Double?
    private var summary = ConversationSummary()
    private var knowledgeQuery = ""
    private var knowledgeHits: [KnowledgeHit] = []

    public init(settings: CopilotAnalyzerSettings, knowledgeBase: KnowledgeBase, rules: NextBestActionRules) {
        self.settings = settings
        self.knowledgeBase = knowledgeBase
        self.rules = rules
        self.lexicon = Lexicon.forLanguage(settings.language) ?? .english
        self.analyzer = SentimentAnalyzer(lexicon: lexicon)
    }

    public var messageCount: Int { messages.count }
    /// The seq of the last message taken in.
    public var lastSeq: Int? { messages.last?.seq }

    /// Adds one message (in seq order). A message whose seq is not after the
    /// last one is ignored, so a replayed message is harmless.
    public mutating func append(_ message: CopilotMessage) {
        if let last = messages.last, message.seq <= last.seq { return }
        let sender = RuleSender(rawValue: message.from).flatMap { $0 == .any ? nil : $0 } ?? .system
        let words = Text.words(message.text)
        var analyzed = Analyzed(seq: message.seq, sender: sender, stems: words.map { Text.stem($0.text) }, sentiment: nil, queryWords: [],
                                isSmallTalk: false)
        let index = messages.count

        switch sender {
        case .user:
            let sentiment = analyzer.analyze(message.text, words: words)
            analyzed.sentiment = sentiment
            currentSentiment = SentimentAnalyzer.current(after: currentSentiment, with: sentiment)
            let spans = EntityScanner.spans(in: message.text)
            var entities = ConversationEntities()
            for span in spans {
                switch span.kind {
                case .orderNumber: entities.orderNumbers.appendOnce(span.text)
                case .email: entities.emails.appendOnce(span.text)
                case .phone: entities.phones.appendOnce(span.text)
                case .amount: entities.amounts.appendOnce(span.text)
                case .card: break
                }
            }
            let redacted = Redactor.redact(message.text, spans: spans, options: settings.redaction)
            analyzed.isSmallTalk = ConversationSummary.isSmallTalk(words, lexicon: lexicon)
            if !analyzed.isSmallTalk {
                let plainWords = spans.isEmpty ? words : Text.words(Self.removing(spans, from: message.text))
                analyzed.queryWords = queryWords(plainWords)
            }
            summary.addUser(text: redacted, isSmallTalk: analyzed.isSmallTalk, entities: entities, lexicon: lexicon)
            messages.append(analyzed)
            userIndices.append(index)
            refreshKnowledge()
        case .bot:
            let spans = settings.redaction.isEnabled ? EntityScanner.spans(in: message.text) : []
            let redacted = Redactor.redact(message.text, spans: spans, options: settings.redaction)
            summary.addBot(text: redacted, words: words, lexicon: lexicon)
            messages.append(analyzed)
        case .agent:
            summary.addAgent()
            messages.append(analyzed)
        case .system, .any:
            messages.append(analyzed)
        }
        senderIndices[sender, default: []].append(index)
    }

    /// Applies the configured redaction: card numbers (Luhn-checked) → "[card ••••1234]", and when enabled e-mails → "[email]", phones → "[phone]".
    public func redact(_ text: String) -> String {
        Redactor.redact(text, options: settings.redaction)
    }

    // MARK: tiles

    /// Tile data keyed by tile id: "sentiment", "knowledge", "next-best-action", "summary".
    public func tileData() -> [String: JSONValue] {
        [
            "sentiment": sentimentTile(),
            "knowledge": knowledgeTile(),
            "next-best-action": nextBestActionTile(),
            "summary": summaryTile(),
        ]
    }

    /// `{"current":{"score","label"},"trend","messages":[{"seq","score","label"}],"average"}`
    public func sentimentTile() -> JSONValue {
        let recent = userIndices.suffix(max(0, settings.sentimentHistory))
        var list: [JSONValue] = []
        list.reserveCapacity(recent.count)
        var sum = 0.0
        var withSignal: [Double] = []
        for i in recent {
            let m = messages[i]
            let s = m.sentiment ?? .neutral
            sum += s.score
            if s.signals > 0 { withSignal.append(s.score) }
            list.append(["seq": JSONValue(m.seq), "score": .number(s.score), "label": .string(s.label.rawValue)])
        }
        let current = currentSentiment ?? 0
        return [
            "current": ["score": .number(current), "label": .string(SentimentLabel(score: current).rawValue)],
            "trend": .string(SentimentAnalyzer.trend(withSignal).rawValue),
            "messages": .array(list),
            "average": .number(recent.isEmpty ? 0 : Text.rounded(sum / Double(recent.count))),
        ]
    }

    /// `{"query","suggestions":[{"id","title","snippet","source","score"}]}`
    public func knowledgeTile() -> JSONValue {
        [
            "query": .string(knowledgeQuery),
            "suggestions": .array(knowledgeHits.map { hit in
                ["id": .string(hit.id), "title": .string(hit.title), "snippet": .string(hit.snippet),
                 "source": .string(hit.source), "score": .number(hit.score)]
            }),
        ]
    }

    /// `{"actions":[{"id","title","detail"?,"template"?,"reason"}]}`
    public func nextBestActionTile() -> JSONValue {
        ["actions": .array(suggestedActions().map(\.json))]
    }

    /// `{"intent","botTried":[…],"entities":{"orderNumbers","emails","phones","amounts"},"text"}`.
    /// E-mails and phones the settings redact are not listed.
    public func summaryTile() -> JSONValue {
        summary.json(hideEmails: settings.redaction.emails, hidePhones: settings.redaction.phones)
    }

    /// The actions the rules suggest now.
    public func suggestedActions() -> [SuggestedAction] {
        let n = max(0, settings.actionWindowMessages)
        var recent: [RuleSender: [[String]]] = [:]
        for (sender, indices) in senderIndices {
            recent[sender] = indices.suffix(n).map { messages[$0].stems }
        }
        recent[.any] = messages.suffix(n).map(\.stems)
        return rules.evaluate(RuleInput(recent: recent, sentiment: currentSentiment), limit: settings.maxActions)
    }

    /// The user's current sentiment (running, see `SentimentAnalyzer.current`); nil before any user message carried sentiment.
    public var currentSentimentScore: Double? { currentSentiment }

    // MARK: knowledge

    private func queryWords(_ words: [Word]) -> [String] {
        var result: [String] = []
        for word in words where word.text.unicodeScalars.count >= 2 && !lexicon.stopwords.contains(word.text)
            && !lexicon.chatFiller.contains(word.text) {
            if word.text.contains(where: \.isNumber) { continue }
            if !result.contains(word.text) { result.append(word.text) }
        }
        return result
    }

    /// The query: the content words of the last N user messages that are more
    /// than small talk, the newest weighing most (1, ⅔, ½, …).
    private mutating func refreshKnowledge() {
        var window: [Int] = []
        for i in userIndices.reversed() where window.count < settings.knowledgeQueryMessages {
            if !messages[i].isSmallTalk { window.append(i) }
        }
        var parts: [(text: String, weight: Double)] = []
        var words: [String] = []
        for (age, i) in window.enumerated().reversed() {
            let message = messages[i].queryWords
            guard !message.isEmpty else { continue }
            parts.append((message.joined(separator: " "), 1 / (1 + 0.5 * Double(age))))
            for word in message where !words.contains(word) { words.append(word) }
        }
        let query = words.joined(separator: " ")
        if query == knowledgeQuery, parts.count <= 1 { return }
        knowledgeQuery = query
        knowledgeHits = query.isEmpty ? [] : knowledgeBase.search(weighted: parts, limit: settings.knowledgeResults)
    }

    /// The text with the entity spans blanked out.
    static func removing(_ spans: [EntitySpan], from text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var position = 0
        for span in spans {
            out.append(contentsOf: scalars[position..<span.range.lowerBound])
            out.append(" ")
            position = span.range.upperBound
        }
        out.append(contentsOf: scalars[position...])
        return String(out)
    }
}
