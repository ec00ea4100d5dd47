/// What the user mentioned that an agent will want at hand.
public struct ConversationEntities: Sendable, Equatable {
    /// "#A12345", "123456" (after "order"), "ORD-2024-001".
    public var orderNumbers: [String]
    public var emails: [String]
    /// As written: "+44 20 7946 0958", "(555) 123-4567".
    public var phones: [String]
    /// As written: "$45.99", "€20", "20 EUR".
    public var amounts: [String]

    public init(orderNumbers: [String] = [], emails: [String] = [], phones: [String] = [], amounts: [String] = []) {
        self.orderNumbers = orderNumbers
        self.emails = emails
        self.phones = phones
        self.amounts = amounts
    }

    public var isEmpty: Bool { orderNumbers.isEmpty && emails.isEmpty && phones.isEmpty && amounts.isEmpty }

    /// The entities in `text`, each once, in order of appearance.
    public static func extract(from text: String) -> ConversationEntities {
        var entities = ConversationEntities()
        for span in EntityScanner.spans(in: text) {
            switch span.kind {
            case .orderNumber: entities.orderNumbers.appendOnce(span.text)
            case .email: entities.emails.appendOnce(span.text)
            case .phone: entities.phones.appendOnce(span.text)
            case .amount: entities.amounts.appendOnce(span.text)
            case .card: break  // never listed: cards are only ever redacted
            }
        }
        return entities
    }

    /// Adds the other's entities that are not here yet, keeping first-seen order.
    public mutating func merge(_ other: ConversationEntities) {
        for x in other.orderNumbers { orderNumbers.appendOnce(x) }
        for x in other.emails { emails.appendOnce(x) }
        for x in other.phones { phones.appendOnce(x) }
        for x in other.amounts { amounts.appendOnce(x) }
    }
}

extension Array where Element: Equatable {
    mutating func appendOnce(_ element: Element) {
        if !contains(element) { append(element) }
    }
}

/// A recognized piece of text, by unicode-scalar offsets.
struct EntitySpan: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case card, email, orderNumber, amount, phone }
    var kind: Kind
    var range: Range<Int>
    var text: String
    /// The last four digits, for cards.
    var last4: String = ""
}

/// Hand-written scanners (no regular expressions, no Foundation) for cards,
/// e-mail addresses, order numbers, money amounts and phone numbers.
enum EntityScanner {
    typealias Scalars = [Unicode.Scalar]

    /// All entities, non-overlapping, in text order. Where two overlap the
    /// more specific wins: card, e-mail, order number, amount, phone.
    static func spans(in text: String) -> [EntitySpan] {
        let s = Array(text.unicodeScalars)
        guard s.contains(where: { isDigit($0) || $0 == "@" }) else { return [] }
        var accepted: [EntitySpan] = []
        func add(_ candidates: [EntitySpan]) {
            for c in candidates where !accepted.contains(where: { $0.range.overlaps(c.range) }) { accepted.append(c) }
        }
        add(cards(s))
        add(emails(s))
        add(orderNumbers(s))
        add(amounts(s))
        add(phones(s))
        return accepted.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    // MARK: character classes

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    static func isASCIILetter(_ c: Unicode.Scalar) -> Bool { (c.value | 0x20) >= 0x61 && (c.value | 0x20) <= 0x7A }
    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || isASCIILetter(c) || (!c.isASCII && c.properties.isAlphabetic)
    }
    static func text(_ s: Scalars, _ range: Range<Int>) -> String { String(String.UnicodeScalarView(s[range])) }

    // MARK: cards

    /// The Luhn checksum over decimal digits.
    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = Int(d)
            if i % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return !digits.isEmpty && sum % 10 == 0
    }

    /// 13–19 digits, optionally in groups separated by single spaces or dashes, passing Luhn.
    static func cards(_ s: Scalars) -> [EntitySpan] {
        var result: [EntitySpan] = []
        var i = 0
        while i < s.count {
            guard isDigit(s[i]), i == 0 || !isWordScalar(s[i - 1]) else { i += 1; continue }
            var groups: [Range<Int>] = []
            var j = i
            while true {
                let start = j
                while j < s.count, isDigit(s[j]) { j += 1 }
                groups.append(start..<j)
                if j + 1 < s.count, s[j] == " " || s[j] == "-", isDigit(s[j + 1]) { j += 1; continue }
                break
            }
            let endsCleanly = j == s.count || !isWordScalar(s[j])
            var g = 0
            while g < groups.count {
                var digits: [UInt8] = []
                var best: (end: Int, digits: [UInt8])?
                for h in g..<groups.count {
                    for k in groups[h] { digits.append(UInt8(s[k].value - 0x30)) }
                    if digits.count > 19 { break }
                    if digits.count >= 13, h < groups.count - 1 || endsCleanly, luhn(digits) { best = (h, digits) }
                }
                if let best {
                    let range = groups[g].lowerBound..<groups[best.end].upperBound
                    let last4 = String(best.digits.suffix(4).map { Character(Unicode.Scalar($0 + 0x30)) })
                    result.append(EntitySpan(kind: .card, range: range, text: text(s, range), last4: last4))
                    g = best.end + 1
                } else {
                    g += 1
                }
            }
            i = j
        }
        return result
    }

    // MARK: e-mail

    static func emails(_ s: Scalars) -> [EntitySpan] {
        func isLocal(_ c: Unicode.Scalar) -> Bool { isDigit(c) || isASCIILetter(c) || "._%+-".unicodeScalars.contains(c) }
        func isDomain(_ c: Unicode.Scalar) -> Bool { isDigit(c) || isASCIILetter(c) || c == "." || c == "-" }
        var result: [EntitySpan] = []
        var floor = 0
        for a in s.indices where s[a] == "@" && a >= floor {
            var l = a
            while l > floor, isLocal(s[l - 1]) { l -= 1 }
            while l < a, s[l] == "." { l += 1 }
            guard l < a else { continue }
            var r = a + 1
            while r < s.count, isDomain(s[r]) { r += 1 }
            while r > a + 1, s[r - 1] == "." || s[r - 1] == "-" { r -= 1 }
            let labels = s[(a + 1)..<r].split(separator: ".", omittingEmptySubsequences: false)
            guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), let tld = labels.last, tld.count >= 2,
                  tld.allSatisfy(isASCIILetter) else { continue }
            result.append(EntitySpan(kind: .email, range: l..<r, text: text(s, l..<r)))
            floor = r
        }
        return result
    }

    // MARK: order numbers

    /// Runs of non-space scalars with surrounding punctuation trimmed.
    static func chunks(_ s: Scalars) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = 0
        while i < s.count {
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            var j = i
            while j < s.count, !s[j].properties.isWhitespace { j += 1 }
            var l = i, r = j
            while l < r, ".,;:!?\"'()[]{}".unicodeScalars.contains(s[l]) { l += 1 }
            while r > l, ".,;:!?\"'()[]{}".unicodeScalars.contains(s[r - 1]) { r -= 1 }
            if l < r { result.append(l..<r) }
            i = j
        }
        return result
    }

    static let orderWords: Set<String> = ["order", "orders", "ord", "bestellung", "reference", "ref", "confirmation"]
    static let orderFillers: Set<String> = ["number", "no", "nr", "num", "id", "is", "was", "#", ":", "number:", "no:", "id:", "code", "of", "my"]

    /// "#A12345", "ORD-2024-001", and a code after "order" ("order 123456", "order no. 123456").
    static func orderNumbers(_ s: Scalars) -> [EntitySpan] {
        let chunks = chunks(s)
        var result: [EntitySpan] = []
        func digitCount(_ r: Range<Int>) -> Int { s[r].reduce(0) { $0 + (isDigit($1) ? 1 : 0) } }
        func isCode(_ r: Range<Int>) -> Bool {
            (4...20).contains(r.count) && digitCount(r) >= 4 && s[r].allSatisfy { isDigit($0) || isASCIILetter($0) || $0 == "-" }
                && isWordScalar(s[r.lowerBound]) && isWordScalar(s[r.upperBound - 1])
        }
        var c = 0
        while c < chunks.count {
            let r = chunks[c]
            c += 1
            // "#A12345"
            if s[r.lowerBound] == "#" {
                let rest = (r.lowerBound + 1)..<r.upperBound
                if (4...20).contains(rest.count), digitCount(rest) >= 3,
                   s[rest].allSatisfy({ isDigit($0) || isASCIILetter($0) || $0 == "-" }) {
                    result.append(EntitySpan(kind: .orderNumber, range: r, text: text(s, r)))
                }
                continue
            }
            // "ORD-2024-001": 2–5 capital letters, then dash-separated groups with at least 3 digits.
            let letters = s[r].prefix(while: isASCIILetter)
            if (2...5).contains(letters.count), r.lowerBound + letters.count < r.upperBound, s[r.lowerBound + letters.count] == "-",
               letters.allSatisfy({ $0.properties.isUppercase }), digitCount(r) >= 3,
               s[r].allSatisfy({ isDigit($0) || isASCIILetter($0) || $0 == "-" }), isWordScalar(s[r.upperBound - 1]) {
                result.append(EntitySpan(kind: .orderNumber, range: r, text: text(s, r)))
                continue
            }
            // "order 123456", "order no. 123456", "order number: A-12345"
            let word = text(s, r).lowercased()
            if orderWords.contains(word) || word.hasPrefix("order#") {
                if word.hasPrefix("order#") {
                    let code = (r.lowerBound + 6)..<r.upperBound
                    if isCode(code) { result.append(EntitySpan(kind: .orderNumber, range: code, text: text(s, code))) }
                    continue
                }
                var look = c
                while look < chunks.count, look < c + 3 {
                    let next = chunks[look]
                    let nextWord = text(s, next).lowercased()
                    if orderFillers.contains(nextWord) { look += 1; continue }
                    if isCode(next) {
                        result.append(EntitySpan(kind: .orderNumber, range: next, text: text(s, next)))
                        c = look + 1
                    }
                    break
                }
            }
        }
        return result
    }

    // MARK: money

    static let currencySymbols: Set<Unicode.Scalar> = ["$", "€", "£", "¥", "₹", "₽", "₩", "₺"]
    static let currencyWords: Set<String> = [
        "usd", "eur", "gbp", "chf", "cad", "aud", "nzd", "jpy", "sek", "nok", "dkk", "pln", "czk", "huf", "inr", "mxn", "brl",
        "dollar", "dollars", "euro", "euros", "pound", "pounds", "buck", "bucks", "quid",
    ]

    /// The end of a number starting at `i` (digits, with "," or "." between digit groups), or nil.
    static func numberEnd(_ s: Scalars, from i: Int) -> Int? {
        guard i < s.count, isDigit(s[i]) else { return nil }
        var j = i
        while j < s.count {
            if isDigit(s[j]) { j += 1; continue }
            if (s[j] == "." || s[j] == ","), j + 1 < s.count, isDigit(s[j + 1]) { j += 1; continue }
            break
        }
        return j
    }

    /// "$45.99", "€ 20", "20€", "20 EUR", "45.99 dollars", "EUR 20".
    static func amounts(_ s: Scalars) -> [EntitySpan] {
        var result: [EntitySpan] = []
        func word(from i: Int) -> Range<Int> {
            var j = i
            while j < s.count, isASCIILetter(s[j]) { j += 1 }
            return i..<j
        }
        var i = 0
        while i < s.count {
            if currencySymbols.contains(s[i]) {
                var j = i + 1
                if j < s.count, s[j] == " " { j += 1 }
                if let end = numberEnd(s, from: j) {
                    result.append(EntitySpan(kind: .amount, range: i..<end, text: text(s, i..<end)))
                    i = end
                    continue
                }
                i += 1
                continue
            }
            guard isDigit(s[i]), i == 0 || !(isWordScalar(s[i - 1]) || s[i - 1] == "." || s[i - 1] == ","),
                  let end = numberEnd(s, from: i) else { i += 1; continue }
            // After: a symbol or a currency word.
            var j = end
            if j < s.count, s[j] == " " { j += 1 }
            if j < s.count, currencySymbols.contains(s[j]) {
                result.append(EntitySpan(kind: .amount, range: i..<(j + 1), text: text(s, i..<(j + 1))))
                i = j + 1
                continue
            }
            let after = word(from: j)
            if !after.isEmpty, after.upperBound == s.count || !isWordScalar(s[after.upperBound]),
               currencyWords.contains(text(s, after).lowercased()) {
                result.append(EntitySpan(kind: .amount, range: i..<after.upperBound, text: text(s, i..<after.upperBound)))
                i = after.upperBound
                continue
            }
            // Before: a currency code ("EUR 20").
            if i >= 2, s[i - 1] == " " {
                var k = i - 1
                while k > 0, isASCIILetter(s[k - 1]) { k -= 1 }
                let before = k..<(i - 1)
                if (3...3).contains(before.count), k == 0 || !isWordScalar(s[k - 1]),
                   s[before].allSatisfy({ $0.properties.isUppercase }), currencyWords.contains(text(s, before).lowercased()) {
                    result.append(EntitySpan(kind: .amount, range: k..<end, text: text(s, k..<end)))
                    i = end
                    continue
                }
            }
            i = end
        }
        return result
    }

    // MARK: phones

    /// 7–15 digits, optionally starting with "+" or "(", in groups separated by
    /// spaces, dashes, dots, slashes or brackets. A bare digit run needs at least
    /// 10 digits (shorter ones are more likely order or reference numbers); dates
    /// and card numbers are not phones.
    static func phones(_ s: Scalars) -> [EntitySpan] {
        var result: [EntitySpan] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            let opens = (c == "+" || c == "(") && i + 1 < s.count && isDigit(s[i + 1])
            guard opens || isDigit(c),
                  i == 0 || !(isWordScalar(s[i - 1]) || "-./#$€£+_@,".unicodeScalars.contains(s[i - 1])) else { i += 1; continue }
            var j = opens ? i + 1 : i
            var groups: [Int] = []
            var digits: [UInt8] = []
            var separated = c == "("
            var end = j
            while j < s.count {
                if isDigit(s[j]) {
                    let start = j
                    while j < s.count, isDigit(s[j]) { digits.append(UInt8(s[j].value - 0x30)); j += 1 }
                    groups.append(j - start)
                    end = j
                    continue
                }
                var k = j
                var spaces = 0
                while k < s.count, k - j < 2, " -./()".unicodeScalars.contains(s[k]) {
                    if s[k] == " " { spaces += 1 }
                    k += 1
                }
                if k > j, spaces <= 1, k < s.count, isDigit(s[k]) { separated = true; j = k; continue }
                break
            }
            let cleanEnd = end == s.count || !isWordScalar(s[end])
            let n = digits.count
            let dateLike = groups.count == 3 && (groups == [4, 2, 2] || (groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4)
                || (groups[0] <= 2 && groups[1] <= 2 && groups[2] == 2 && n == 6))
            let plausible = (7...15).contains(n) && (c == "+" || separated ? true : n >= 10)
            if cleanEnd, plausible, !dateLike, !(n >= 13 && luhn(digits)) {
                var range = i..<end
                if c == "(" || (end < s.count && s[end] == ")" && s[i..<end].contains("(")) {
                    if end < s.count, s[end] == ")" { range = i..<(end + 1) }
                }
                result.append(EntitySpan(kind: .phone, range: range, text: text(s, range)))
                i = range.upperBound
                continue
            }
            i = max(i + 1, end)
        }
        return result
    }
}
