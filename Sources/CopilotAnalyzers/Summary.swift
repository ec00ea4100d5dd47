import RelayJSON

/// The running material for the "summary" tile, updated one message at a
/// time: what the user wants, what the bot already tried, the entities the
/// user mentioned, and an extractive summary of the user's sentences.
///
/// The extractive summary scores each user sentence by how frequent its
/// (stemmed, non-stopword) terms are across everything the user wrote,
/// normalized by the square root of its term count, with a bonus for the
/// sentences of the first real request (most for its first sentence); the
/// best 2–4 (about half of them, at most 4) are shown in conversation order.
struct ConversationSummary: Sendable {
    struct Sentence: Sendable {
        var text: String
        /// Unique term ids.
        var terms: [Int32]
        var position: Position

        enum Position: Sendable { case requestStart, request, later }
    }

    static let requestLength = 200
    static let botAnswerLength = 140
    static let botAnswersKept = 6
    static let sentenceLength = 220
    /// The first sentence of the user's request says most about what they want.
    static let requestStartBonus = 2.0
    static let requestBonus = 1.3

    private(set) var request: String?
    private(set) var botTried: [String] = []
    private(set) var entities = ConversationEntities()
    private(set) var sentences: [Sentence] = []
    private var vocabulary: [String: Int32] = [:]
    private var frequency: [Int32] = []
    private var maxFrequency: Int32 = 0
    private var sawUser = false
    private var sawAgent = false

    // MARK: updates

    /// A user message: `text` is already redacted; `entities` were found in the original.
    mutating func addUser(text: String, isSmallTalk: Bool, entities: ConversationEntities, lexicon: Lexicon) {
        sawUser = true
        self.entities.merge(entities)
        var inRequest = false
        if request == nil, !isSmallTalk {
            request = Self.request(from: text, lexicon: lexicon)
            inRequest = request != nil
        }
        guard !isSmallTalk else { return }
        var first = true
        for whole in Text.sentences(text) {
            let sentence = Self.withoutGreeting(whole, lexicon: lexicon)
            let sentenceWords = Text.words(String(sentence))
            if Self.isSmallTalk(sentenceWords, lexicon: lexicon) { continue }
            // Terms without the entities themselves (an address is not a topic).
            let spans = EntityScanner.spans(in: String(sentence))
            let plainWords = spans.isEmpty ? sentenceWords : Text.words(CopilotWorkspace.removing(spans, from: String(sentence)))
            var ids: [Int32] = []
            for term in Text.terms(plainWords, stopwords: lexicon.stopwords) where !term.contains(where: \.isNumber) {
                let id = vocabularyID(term)
                if !ids.contains(id) { ids.append(id) }
            }
            guard !ids.isEmpty else { continue }
            for id in ids {
                frequency[Int(id)] += 1
                maxFrequency = max(maxFrequency, frequency[Int(id)])
            }
            let position: Sentence.Position = !inRequest ? .later : first ? .requestStart : .request
            first = false
            sentences.append(Sentence(text: Self.punctuated(Text.shortened(sentence, to: Self.sentenceLength)), terms: ids, position: position))
        }
    }

    /// A bot message: an answer the bot tried, when it comes after the user
    /// spoke and before any agent did (the bot's greeting and its "connecting
    /// you to an agent" line are not answers).
    mutating func addBot(text: String, words: [Word], lexicon: Lexicon) {
        guard sawUser, !sawAgent, !Self.isHandoverNotice(words, lexicon: lexicon) else { return }
        let sentences = Text.sentences(text)
        guard var short = sentences.first.map(String.init) else { return }
        if short.count < 40, sentences.count > 1 { short += " " + sentences[1] }
        short = Text.shortened(short, to: Self.botAnswerLength)
        botTried.removeAll { $0 == short }
        botTried.append(short)
        if botTried.count > Self.botAnswersKept { botTried.removeFirst() }
    }

    mutating func addAgent() { sawAgent = true }

    private mutating func vocabularyID(_ term: String) -> Int32 {
        if let id = vocabulary[term] { return id }
        let id = Int32(frequency.count)
        vocabulary[term] = id
        frequency.append(0)
        return id
    }

    // MARK: output

    /// The 2–4 best user sentences, in conversation order.
    func summaryText() -> String {
        guard !sentences.isEmpty else { return "" }
        let n = sentences.count
        let k = n <= 2 ? n : min(4, max(2, (n + 1) / 2))
        let maxF = Double(max(1, maxFrequency))
        var scored: [(index: Int, score: Double)] = []
        scored.reserveCapacity(n)
        for (i, sentence) in sentences.enumerated() {
            var sum = 0.0
            for id in sentence.terms { sum += Double(frequency[Int(id)]) / maxF }
            var score = sum / Double(sentence.terms.count).squareRoot()
            switch sentence.position {
            case .requestStart: score *= Self.requestStartBonus
            case .request: score *= Self.requestBonus
            case .later: break
            }
            scored.append((i, score))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        return scored.prefix(k).map(\.index).sorted().map { sentences[$0].text }.joined(separator: " ")
    }

    func json(hideEmails: Bool, hidePhones: Bool) -> JSONValue {
        .object([
            "intent": .string(request ?? ""),
            "botTried": .array(botTried.map(JSONValue.string)),
            "entities": .object([
                "orderNumbers": .array(entities.orderNumbers.map(JSONValue.string)),
                "emails": .array(hideEmails ? [] : entities.emails.map(JSONValue.string)),
                "phones": .array(hidePhones ? [] : entities.phones.map(JSONValue.string)),
                "amounts": .array(entities.amounts.map(JSONValue.string)),
            ]),
            "text": .string(summaryText()),
        ])
    }

    // MARK: helpers

    /// Only greetings, thanks and bare requests for a person ("hi", "thanks!", "agent please").
    static func isSmallTalk(_ words: [Word], lexicon: Lexicon) -> Bool {
        words.allSatisfy { lexicon.greetings.contains($0.text) || lexicon.handoverWords.contains($0.text) }
    }

    /// "Sure — I'm connecting you to an agent now": a bot line about the handover itself.
    static func isHandoverNotice(_ words: [Word], lexicon: Lexicon) -> Bool {
        var connects = false
        var person = false
        for word in words {
            let stem = Text.stem(word.text)
            if stem == "connect" || stem == "transfer" || stem == "hand" || stem == "pass" { connects = true }
            if ["agent", "human", "colleague", "person", "someone", "team"].contains(stem) { person = true }
        }
        return connects && person
    }

    /// The user's request: the message without leading greetings ("Hi there! Hello, my parcel…" → "My parcel…").
    static func request(from text: String, lexicon: Lexicon) -> String? {
        var sentences = Text.sentences(text)[...]
        while let first = sentences.first, isSmallTalk(Text.words(String(first)), lexicon: lexicon) { sentences = sentences.dropFirst() }
        guard let first = sentences.first else { return nil }
        let joined = ([withoutGreeting(first, lexicon: lexicon)] + sentences.dropFirst()).joined(separator: " ")
        return Text.shortened(joined, to: requestLength)
    }

    /// "Hello team, my parcel…" → "My parcel…": a leading greeting clause dropped.
    static func withoutGreeting(_ sentence: Substring, lexicon: Lexicon) -> Substring {
        guard let comma = sentence.firstIndex(of: ","), sentence.distance(from: sentence.startIndex, to: comma) <= 30 else { return sentence }
        let head = Text.words(String(sentence[..<comma]))
        let rest = Text.trimmed(sentence[sentence.index(after: comma)...])
        guard !head.isEmpty, head.allSatisfy({ lexicon.greetings.contains($0.text) }), !rest.isEmpty else { return sentence }
        return capitalizedFirst(rest)
    }

    static func capitalizedFirst(_ s: Substring) -> Substring {
        guard let c = s.first, c.isLowercase else { return s }
        return Substring(c.uppercased() + s.dropFirst())
    }

    static func punctuated(_ s: String) -> String {
        guard let last = s.last, last.isLetter || last.isNumber else { return s }
        return s + "."
    }
}
