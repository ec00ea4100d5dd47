/// Markdown to plain text, for indexing help-center articles and showing
/// snippets: headings, lists, quotes and table rows become lines of text;
/// links keep their text, images their alt text; emphasis, code marks and
/// HTML tags go. Not a renderer — just enough for the articles we index.
enum Markdown {
    struct PlainText: Equatable {
        /// The first level-1 heading ("# Title"), if any.
        var title: String?
        /// Everything else, one paragraph, list item, heading or table row per line.
        var body: String
    }

    static func plainText(_ markdown: String) -> PlainText {
        var title: String?
        var blocks: [String] = []
        var paragraph: [Substring] = []
        var inFence = false
        var inQuote = false

        func flush() {
            guard !paragraph.isEmpty else { return }
            let text = inline(paragraph.joined(separator: " "))
            if !text.isEmpty { blocks.append(text) }
            paragraph.removeAll()
        }

        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Text.trimmed(rawLine)
            if line.hasPrefix("```") || line.hasPrefix("~~~") {
                flush()
                inFence.toggle()
                continue
            }
            if inFence {
                if !line.isEmpty { blocks.append(String(line)) }
                continue
            }
            if line.isEmpty { flush(); continue }

            // Block quotes: drop the markers and read on; entering or leaving a quote starts a new block.
            let isQuote = line.hasPrefix(">")
            if isQuote != inQuote { flush(); inQuote = isQuote }
            while line.hasPrefix(">") { line = Text.trimmed(line.dropFirst()) }
            if line.isEmpty { flush(); continue }

            if let (level, text) = heading(line) {
                flush()
                let heading = inline(String(text))
                if level == 1, title == nil {
                    title = heading
                } else if !heading.isEmpty {
                    blocks.append(heading)
                }
                continue
            }
            if isRule(line) { flush(); continue }
            if line.hasPrefix("|") {
                flush()
                let cells = line.split(separator: "|").map { inline(String(Text.trimmed($0))) }.filter { !$0.isEmpty }
                let isSeparator = line.allSatisfy { $0 == "|" || $0 == "-" || $0 == ":" || $0 == " " }
                if !isSeparator, !cells.isEmpty { blocks.append(cells.joined(separator: "; ")) }
                continue
            }
            if let item = listItem(line) {
                flush()
                paragraph.append(item)
                continue
            }
            paragraph.append(line)
        }
        flush()
        return PlainText(title: title, body: blocks.joined(separator: "\n"))
    }

    /// "## Heading ##" → (2, "Heading").
    private static func heading(_ line: Substring) -> (Int, Substring)? {
        var level = 0
        var rest = line[...]
        while rest.first == "#" { level += 1; rest = rest.dropFirst() }
        guard (1...6).contains(level), rest.isEmpty || rest.first == " " else { return nil }
        rest = Text.trimmed(rest)
        while rest.last == "#" { rest = rest.dropLast() }
        return (level, Text.trimmed(rest))
    }

    /// "---", "***", "___", "===" (three or more, spaces allowed).
    private static func isRule(_ line: Substring) -> Bool {
        guard let first = line.first, "-*_=".contains(first) else { return false }
        var count = 0
        for c in line {
            if c == first { count += 1 } else if c != " " { return false }
        }
        return count >= 3
    }

    /// The text of a list item ("- x", "* x", "+ x", "1. x", "2) x", "- [ ] x"), or nil.
    private static func listItem(_ line: Substring) -> Substring? {
        var rest: Substring
        if let first = line.first, "-*+".contains(first), line.dropFirst().first == " " {
            rest = line.dropFirst(2)
        } else {
            let digits = line.prefix(while: { $0.isASCII && $0.isNumber })
            let after = line[digits.endIndex...]
            guard !digits.isEmpty, digits.count <= 3, let mark = after.first, mark == "." || mark == ")",
                  after.dropFirst().first == " " else { return nil }
            rest = after.dropFirst(2)
        }
        rest = Text.trimmed(rest)
        if rest.hasPrefix("[ ] ") || rest.hasPrefix("[x] ") || rest.hasPrefix("[X] ") { rest = rest.dropFirst(4) }
        return rest
    }

    /// Inline Markdown to text: links and images keep their text, emphasis and code marks and HTML tags go.
    static func inline(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0

        func isWord(_ k: Int) -> Bool {
            guard k >= 0, k < s.count else { return false }
            return s[k].properties.isAlphabetic || s[k].properties.numericType != nil
        }
        /// Index of `close` matching at or after `from` on this line, or nil.
        func find(_ close: Unicode.Scalar, from: Int) -> Int? {
            var k = from
            while k < s.count { if s[k] == close { return k }; k += 1 }
            return nil
        }

        while i < s.count {
            let c = s[i]
            switch c {
            case "\\":
                if i + 1 < s.count, !s[i + 1].properties.isAlphabetic { out.append(s[i + 1]); i += 2 } else { out.append(c); i += 1 }
            case "!" where i + 1 < s.count && s[i + 1] == "[":
                // Image: keep the alt text.
                if let close = find("]", from: i + 2), close + 1 < s.count, s[close + 1] == "(", let end = find(")", from: close + 2) {
                    out.append(contentsOf: inline(String(String.UnicodeScalarView(s[(i + 2)..<close]))).unicodeScalars)
                    i = end + 1
                } else {
                    out.append(c); i += 1
                }
            case "[":
                if let close = find("]", from: i + 1), close + 1 < s.count, s[close + 1] == "(" || s[close + 1] == "[",
                   let end = find(s[close + 1] == "(" ? ")" : "]", from: close + 2) {
                    out.append(contentsOf: inline(String(String.UnicodeScalarView(s[(i + 1)..<close]))).unicodeScalars)
                    i = end + 1
                } else {
                    out.append(c); i += 1
                }
            case "<":
                if let end = find(">", from: i + 1), end > i + 1 {
                    let inner = String(String.UnicodeScalarView(s[(i + 1)..<end]))
                    if inner.hasPrefix("http://") || inner.hasPrefix("https://") || inner.hasPrefix("mailto:") {
                        out.append(contentsOf: inner.unicodeScalars)  // autolink
                        i = end + 1
                    } else if s[i + 1].properties.isAlphabetic || s[i + 1] == "/" || s[i + 1] == "!" {
                        i = end + 1  // HTML tag or comment
                    } else {
                        out.append(c); i += 1
                    }
                } else {
                    out.append(c); i += 1
                }
            case "*", "`":
                i += 1
            case "~" where i + 1 < s.count && s[i + 1] == "~":
                i += 2
            case "_":
                // Emphasis underscores sit at a word edge; snake_case keeps its underscore.
                if isWord(i - 1) && isWord(i + 1) { out.append(c) }
                i += 1
            default:
                if c.properties.isWhitespace {
                    if let last = out.last, last != " " { out.append(" ") }
                } else {
                    out.append(c)
                }
                i += 1
            }
        }
        while out.last == " " { out.removeLast() }
        return String(out)
    }
}
