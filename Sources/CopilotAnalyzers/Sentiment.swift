public enum SentimentLabel: String, Sendable, Equatable {
    case negative, neutral, positive

    /// Below -0.1 negative, above +0.1 positive.
    public init(score: Double) {
        self = score <= -0.1 ? .negative : score >= 0.1 ? .positive : .neutral
    }
}

public enum SentimentTrend: String, Sendable, Equatable {
    case improving, worsening, steady
}

/// The sentiment of one message.
public struct Sentiment: Sendable, Equatable {
    /// In [-1, 1], rounded to two decimals.
    public var score: Double
    public var label: SentimentLabel
    /// How many sentiment-bearing words and emoticons were found. A message
    /// without any ("it's order 12345") says nothing about the mood.
    public var signals: Int

    public init(score: Double, signals: Int) {
        self.score = score
        self.label = SentimentLabel(score: score)
        self.signals = signals
    }

    public static let neutral = Sentiment(score: 0, signals: 0)
}

/// A lexicon-based sentiment analyzer in the spirit of VADER (written for this
/// project): word valences on a -4…+4 scale, scaled by intensifiers and
/// downtoners right before the word, flipped (positive) or damped (negative)
/// by a negator up to three words before it, boosted when SHOUTED; words
/// after "but" weigh more than words before it; exclamation marks amplify
/// and emoticons add. The sum is squashed into [-1, 1] by x / √(x² + 15).
public struct SentimentAnalyzer: Sendable {
    public var lexicon: Lexicon

    /// Negated positive words flip to this fraction ("not good" → negative).
    static let negatedPositive = -0.75
    /// Negated negative words keep only a mild positive ("not bad" → mildly positive).
    static let negatedNegative = -0.3
    static let shoutBoost = 1.4
    static let exclamationBoost = 0.292
    static let beforeContrast = 0.5
    static let afterContrast = 1.5
    static let squash = 15.0

    public init(lexicon: Lexicon = .english) { self.lexicon = lexicon }

    public func analyze(_ text: String) -> Sentiment { analyze(text, words: Text.words(text)) }

    func analyze(_ text: String, words: [Word]) -> Sentiment {
        var values: [(index: Int, value: Double)] = []
        var contrast: Int?
        for (i, word) in words.enumerated() {
            if lexicon.contrasts.contains(word.text) { contrast = i }
            guard let value = valence(at: i, in: words) else { continue }
            values.append((i, value))
        }
        var raw = 0.0
        for (index, value) in values {
            guard let contrast else { raw += value; continue }
            raw += value * (index < contrast ? Self.beforeContrast : index > contrast ? Self.afterContrast : 1)
        }
        let (emoticonSum, emoticonCount) = emoticons(in: text)
        raw += emoticonSum
        if raw != 0 {
            var bangs = 0
            for byte in text.utf8 where byte == UInt8(ascii: "!") { bangs += 1 }
            raw += (raw > 0 ? 1 : -1) * Self.exclamationBoost * Double(min(bangs, 4))
        }
        let score = max(-1, min(1, raw / (raw * raw + Self.squash).squareRoot()))
        return Sentiment(score: Text.rounded(score), signals: values.count + emoticonCount)
    }

    /// The contribution of the word at `i`, or nil when it carries no sentiment here.
    private func valence(at i: Int, in words: [Word]) -> Double? {
        let word = words[i]
        guard var value = lexicon.valence(of: word.text) else { return nil }
        let next = i + 1 < words.count && !words[i + 1].followsBreak ? words[i + 1].text : nil
        // A modifier that modifies the next sentiment word ("super helpful") is not a sentiment word itself.
        if lexicon.modifiers[word.text] != nil, let next, lexicon.valence(of: next) != nil { return nil }
        // "kind of", "sort of": a modifier, not the adjective.
        if let next, lexicon.phraseModifiers[word.text + " " + next] != nil { return nil }
        // "would like", "looks like": not a sentiment.
        if i > 0, !word.followsBreak, let contexts = lexicon.neutralAfter[word.text], contexts.contains(words[i - 1].text) {
            return nil
        }
        if word.isShouted { value *= Self.shoutBoost }

        // Intensifiers and downtoners right before the word, chained ("really very good").
        var j = i - 1
        var steps = 0
        while j >= 0, steps < 3, !words[j + 1].followsBreak {
            if let factor = lexicon.modifiers[words[j].text] {
                value *= words[j].isShouted ? factor * factor : factor
                j -= 1
                steps += 1
            } else if j >= 1, !words[j].followsBreak, let factor = lexicon.phraseModifiers[words[j - 1].text + " " + words[j].text] {
                value *= factor
                j -= 2
                steps += 2
            } else {
                break
            }
        }

        // A negator within the three words before, in the same clause.
        var k = i - 1
        var distance = 0
        while k >= 0, distance < 3, !words[k + 1].followsBreak {
            if lexicon.negators.contains(words[k].text) {
                value *= value > 0 ? Self.negatedPositive : Self.negatedNegative
                break
            }
            k -= 1
            distance += 1
        }
        return value
    }

    /// Emoticons (whole chunks or word endings: "thanks :)", "thanks:)") and emoji.
    private func emoticons(in text: String) -> (sum: Double, count: Int) {
        var sum = 0.0
        var count = 0
        var chunk = String.UnicodeScalarView()
        var chunkIsASCII = true
        func endChunk() {
            defer { chunk = String.UnicodeScalarView(); chunkIsASCII = true }
            guard chunkIsASCII, chunk.count >= 2 else { return }
            let lower = String(chunk).lowercased()
            if let v = lexicon.emoticons[lower] {
                sum += v; count += 1
                return
            }
            // An emoticon glued to a word: "thanks:)".
            for length in [3, 2] where lower.unicodeScalars.count > length {
                let suffix = String(lower.unicodeScalars.suffix(length))
                guard let first = suffix.unicodeScalars.first, !first.properties.isAlphabetic, first.properties.numericType == nil
                else { continue }
                if let v = lexicon.emoticons[suffix] {
                    sum += v; count += 1
                    return
                }
            }
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                endChunk()
                continue
            }
            if scalar.value >= 0x2190 {
                chunkIsASCII = false
                if let v = lexicon.emoticons[String(scalar)] { sum += v; count += 1 }
                continue
            }
            if !scalar.isASCII { chunkIsASCII = false }
            chunk.append(scalar)
        }
        endChunk()
        return (sum, count)
    }

    // MARK: conversation-level

    /// The trend over a series of scores (oldest first): the mean of the last
    /// few against the mean of the few before them; a change of more than
    /// 0.15 is a trend.
    public static func trend(_ scores: [Double]) -> SentimentTrend {
        guard scores.count >= 2 else { return .steady }
        let k = min(3, scores.count / 2)
        let recent = scores.suffix(k)
        let before = scores.dropLast(k).suffix(k)
        let delta = recent.reduce(0, +) / Double(recent.count) - before.reduce(0, +) / Double(before.count)
        if delta > 0.15 { return .improving }
        if delta < -0.15 { return .worsening }
        return .steady
    }

    /// The weight of the newest message in the running "current" mood.
    static let currentWeight = 0.6

    /// The running mood after one more message: an exponentially weighted
    /// mean over messages that carry sentiment; messages without any leave it unchanged.
    static func current(after previous: Double?, with sentiment: Sentiment) -> Double? {
        guard sentiment.signals > 0 else { return previous }
        guard let previous else { return sentiment.score }
        return Text.rounded(currentWeight * sentiment.score + (1 - currentWeight) * previous)
    }
}
