/// A word as the analyzers see it.
///
/// `text` is lowercased (typographic apostrophes become `'`, so "don’t" and
/// "don't" are the same word); the flags keep what sentiment needs from the
/// original spelling.
struct Word: Sendable, Equatable {
    var text: String
    /// Written in capitals ("TERRIBLE"): at least two letters, none lowercase.
    var isShouted: Bool
    /// Clause punctuation (`, . ; : ! ? ( )`) or a line break stands between this word and the previous one.
    var followsBreak: Bool
}

/// Tokenizing, light stemming and sentence splitting — stdlib only.
enum Text {
    // MARK: words

    /// Splits `text` into words: runs of letters and digits, with apostrophes
    /// kept inside a word ("don't", "customer's"). Everything else separates words.
    static func words(_ text: String) -> [Word] {
        var words: [Word] = []
        var current = String.UnicodeScalarView()
        var letters = 0
        var uppers = 0
        var pendingApostrophe = false
        var sawBreak = false

        func flush() {
            guard !current.isEmpty else { return }
            words.append(Word(text: String(current), isShouted: letters >= 2 && uppers == letters, followsBreak: sawBreak))
            current = String.UnicodeScalarView()
            letters = 0
            uppers = 0
            sawBreak = false
        }

        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                switch v {
                case 0x61...0x7A:  // a-z
                    if pendingApostrophe { current.append("'"); pendingApostrophe = false }
                    current.append(scalar)
                    letters += 1
                case 0x41...0x5A:  // A-Z
                    if pendingApostrophe { current.append("'"); pendingApostrophe = false }
                    current.append(Unicode.Scalar(v + 32)!)
                    letters += 1
                    uppers += 1
                case 0x30...0x39:  // 0-9
                    if pendingApostrophe { current.append("'"); pendingApostrophe = false }
                    current.append(scalar)
                case 0x27:  // '
                    if !current.isEmpty && !pendingApostrophe { pendingApostrophe = true } else { pendingApostrophe = false; flush() }
                default:
                    pendingApostrophe = false
                    flush()
                    switch v {
                    case 0x2C, 0x2E, 0x3B, 0x3A, 0x21, 0x3F, 0x28, 0x29, 0x0A: sawBreak = true  // , . ; : ! ? ( ) \n
                    default: break
                    }
                }
                continue
            }
            if v == 0x2019 {  // ’
                if !current.isEmpty && !pendingApostrophe { pendingApostrophe = true } else { pendingApostrophe = false; flush() }
                continue
            }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil || properties.generalCategory == .nonspacingMark {
                if pendingApostrophe { current.append("'"); pendingApostrophe = false }
                if properties.isAlphabetic {
                    letters += 1
                    if properties.isUppercase {
                        uppers += 1
                        current.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
                        continue
                    }
                }
                current.append(scalar)
            } else {
                pendingApostrophe = false
                flush()
                if v == 0x2026 || v == 0x2028 || v == 0x2029 { sawBreak = true }  // … and line separators
            }
        }
        flush()
        return words
    }

    /// Lowercased words only.
    static func tokens(_ text: String) -> [String] { words(text).map(\.text) }

    /// Stemmed words with stopwords removed: the terms used for search and summaries.
    static func terms(_ text: String, stopwords: Set<String>) -> [String] {
        terms(words(text), stopwords: stopwords)
    }

    static func terms(_ words: [Word], stopwords: Set<String>) -> [String] {
        var terms: [String] = []
        terms.reserveCapacity(words.count)
        for word in words where !stopwords.contains(word.text) {
            terms.append(stem(word.text))
        }
        return terms
    }

    // MARK: stemming

    /// A light English stemmer: possessives, plurals, "-ed" and "-ing", a
    /// final "e" — enough that "parcels"/"parcel", "shipping"/"ship",
    /// "cancelled"/"cancel", "charged"/"charge"/"charging" meet.
    /// Words with non-ASCII letters, contractions and words of three letters
    /// or fewer are returned unchanged.
    static func stem(_ word: String) -> String {
        var b = Array(word.utf8)
        guard b.count > 3 else { return word }
        for byte in b where byte >= 0x80 { return word }
        let apostrophe = UInt8(ascii: "'")
        if b.count > 2, b[b.count - 2] == apostrophe, b[b.count - 1] == UInt8(ascii: "s") {
            b.removeLast(2)
        } else if b.last == apostrophe {
            b.removeLast()
        }
        if b.contains(apostrophe) || b.count <= 3 { return String(decoding: b, as: UTF8.self) }

        func ends(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard b.count >= n else { return false }
            let p = suffix.utf8Start
            for i in 0..<n where b[b.count - n + i] != p[i] { return false }
            return true
        }
        func hasVowel(_ count: Int) -> Bool {
            for i in 0..<count {
                switch b[i] {
                case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "y"): return true
                default: continue
                }
            }
            return false
        }
        func undouble() {
            let n = b.count
            guard n >= 4, b[n - 1] == b[n - 2] else { return }
            switch b[n - 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "z"), UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"):
                return
            case UInt8(ascii: "l"):
                if n >= 6 { b.removeLast() }  // cancell → cancel, but bill, call stay
            default:
                b.removeLast()
            }
        }

        // Plurals.
        if ends("ies"), b.count > 4 {
            b.removeLast(3); b.append(UInt8(ascii: "y"))
        } else if ends("sses") {
            b.removeLast(2)
        } else if ends("s"), !ends("ss"), !ends("us"), !ends("is"), b.count > 3 {
            b.removeLast()
        }
        // Past tense and gerunds.
        if ends("ied"), b.count > 4 {
            b.removeLast(3); b.append(UInt8(ascii: "y"))
        } else if ends("eed") {
            if b.count > 4 { b.removeLast() }
        } else if ends("ed"), b.count - 2 >= 3, hasVowel(b.count - 2) {
            b.removeLast(2)
            undouble()
        } else if ends("ing"), b.count - 3 >= 3, hasVowel(b.count - 3) {
            b.removeLast(3)
            undouble()
        }
        if ends("e"), b.count > 4 { b.removeLast() }
        return String(decoding: b, as: UTF8.self)
    }

    // MARK: sentences

    /// Abbreviations after which a full stop does not end a sentence.
    static let abbreviations: Set<String> = ["e.g", "i.e", "eg", "ie", "mr", "mrs", "ms", "dr", "st", "no", "nr", "approx", "vs", "incl", "ref", "tel", "ca"]

    /// Splits text into trimmed sentences: at `.`, `!`, `?` (and runs of them,
    /// with closing quotes or brackets) followed by white space, and at line
    /// breaks. A full stop after a single letter or a common abbreviation
    /// ("no.", "e.g.") does not split.
    static func sentences(_ text: String) -> [Substring] {
        var result: [Substring] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var index = scalars.startIndex

        func emit(_ end: String.Index) {
            let piece = trimmed(text[start..<end])
            if !piece.isEmpty { result.append(piece) }
        }

        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "\n" || scalar == "\r" || scalar == "\u{2028}" || scalar == "\u{2029}" {
                emit(index)
                index = scalars.index(after: index)
                start = index
                continue
            }
            if scalar == "." || scalar == "!" || scalar == "?" || scalar == "…" {
                var end = scalars.index(after: index)
                while end < scalars.endIndex, ".!?…\"')]”’".unicodeScalars.contains(scalars[end]) {
                    end = scalars.index(after: end)
                }
                let atEnd = end == scalars.endIndex
                if atEnd || scalars[end].properties.isWhitespace {
                    if scalar == "." && end == scalars.index(after: index) && isAbbreviation(before: index, in: scalars, from: start) {
                        index = end
                        continue
                    }
                    emit(end)
                    index = end
                    start = end
                    continue
                }
                index = end
                continue
            }
            index = scalars.index(after: index)
        }
        emit(scalars.endIndex)
        return result
    }

    private static func isAbbreviation(before dot: String.Index, in scalars: String.UnicodeScalarView, from start: String.Index) -> Bool {
        var wordStart = dot
        while wordStart > start {
            let previous = scalars.index(before: wordStart)
            let s = scalars[previous]
            if s.properties.isWhitespace || s == "(" { break }
            wordStart = previous
        }
        let word = String(scalars[wordStart..<dot]).lowercased()
        if word.unicodeScalars.count == 1, word.unicodeScalars.first!.properties.isAlphabetic { return true }
        return abbreviations.contains(word)
    }

    static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let first = s.unicodeScalars.first, first.properties.isWhitespace { s = s.dropFirst() }
        while let last = s.unicodeScalars.last, last.properties.isWhitespace { s = s.dropLast() }
        return s
    }

    static func trimmed(_ s: String) -> String { String(trimmed(s[...])) }

    /// At most `limit` characters, cut at a word boundary, with "…" when cut.
    static func shortened(_ s: some StringProtocol, to limit: Int) -> String {
        guard s.count > limit else { return String(s) }
        var cut = s.index(s.startIndex, offsetBy: limit - 1)
        var back = cut
        while back > s.startIndex, !s[back].isWhitespace { back = s.index(before: back) }
        if back > s.index(s.startIndex, offsetBy: limit / 2) { cut = back }
        var head = s[..<cut]
        while let last = head.last, last.isWhitespace || last == "," || last == ";" || last == ":" { head = head.dropLast() }
        return head + "…"
    }

    /// Rounded to `places` decimals, for stable JSON ("0.62", not "0.6199999").
    static func rounded(_ x: Double, places: Int = 2) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let r = (x * scale).rounded() / scale
        return r == 0 ? 0 : r  // no "-0"
    }

    /// The natural logarithm, from the stdlib alone: x = m · 2^e with m in
    /// [1, 2), ln x = e · ln 2 + 2 · atanh((m − 1)/(m + 1)) by its series.
    static func naturalLog(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
        let m = x.significand
        let e = Double(x.exponent)
        let z = (m - 1) / (m + 1)  // 0 ≤ z < 1/3
        let z2 = z * z
        var term = z
        var sum = 0.0
        var k = 1.0
        while true {
            let next = sum + term / k
            if next == sum { break }
            sum = next
            term *= z2
            k += 2
        }
        return e * 0.693_147_180_559_945_3 + 2 * sum
    }
}
