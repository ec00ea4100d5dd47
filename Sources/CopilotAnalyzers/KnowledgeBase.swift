/// One help-center article.
public struct KnowledgeDocument: Sendable, Equatable {
    public var id: String
    public var title: String
    /// Plain text (Markdown stripped), one paragraph, list item or heading per line.
    public var body: String
    /// Where it came from: a path relative to the knowledge-base directory or repository.
    public var source: String

    public init(id: String, title: String, body: String, source: String) {
        self.id = id
        self.title = title
        self.body = body
        self.source = source
    }
}

/// A search result.
public struct KnowledgeHit: Sendable, Equatable {
    public var id: String
    public var title: String
    /// At most ~200 characters around the passage that best matches the query.
    public var snippet: String
    public var source: String
    /// BM25 score, rounded to three decimals.
    public var score: Double

    public init(id: String, title: String, snippet: String, source: String, score: Double) {
        self.id = id
        self.title = title
        self.snippet = snippet
        self.source = source
        self.score = score
    }
}

/// An in-memory BM25 index over help-center articles.
///
/// Terms are lowercased words with English stopwords removed and a light
/// stemmer applied ("parcels" → "parcel", "shipping" → "ship"). Title words
/// count twice. Scores use BM25 with k1 = 1.2, b = 0.75 and the non-negative
/// idf log(1 + (N − n + ½)/(n + ½)); equal scores are ordered by document id.
/// Built once, then shared: searching does not copy the index.
public struct KnowledgeBase: Sendable {
    public static let k1 = 1.2
    public static let b = 0.75
    /// Title words count this many times.
    static let titleWeight = 2
    /// Snippet length budget, in characters.
    static let snippetLength = 200

    struct Posting: Sendable {
        var document: Int32
        var frequency: Int32
    }

    struct Passage: Sendable {
        var text: Substring
        /// Sorted, unique term ids.
        var terms: [Int32]
    }

    public let documents: [KnowledgeDocument]
    let stopwords: Set<String>
    let termIDs: [String: Int32]
    let postings: [[Posting]]
    let idf: [Double]
    /// Per document: k1 · (1 − b + b · length / average length), the BM25 length norm.
    let lengthNorm: [Double]
    let passages: [[Passage]]

    public var count: Int { documents.count }

    public init(documents: [KnowledgeDocument]) {
        self.init(documents: documents, lexicon: .english)
    }

    public init(documents: [KnowledgeDocument], lexicon: Lexicon) {
        self.documents = documents
        self.stopwords = lexicon.stopwords
        var termIDs: [String: Int32] = [:]
        var postings: [[Posting]] = []
        var lengths: [Int] = []
        var passages: [[Passage]] = []
        lengths.reserveCapacity(documents.count)

        func id(of term: String) -> Int32 {
            if let id = termIDs[term] { return id }
            let id = Int32(postings.count)
            termIDs[term] = id
            postings.append([])
            return id
        }

        for (d, document) in documents.enumerated() {
            var frequencies: [Int32: Int32] = [:]
            var length = 0
            for term in Text.terms(document.title, stopwords: lexicon.stopwords) {
                frequencies[id(of: term), default: 0] += Int32(Self.titleWeight)
                length += Self.titleWeight
            }
            var documentPassages: [Passage] = []
            for line in document.body.split(separator: "\n") {
                for sentence in Text.sentences(String(line)) {
                    var terms: [Int32] = []
                    for term in Text.terms(String(sentence), stopwords: lexicon.stopwords) {
                        let t = id(of: term)
                        frequencies[t, default: 0] += 1
                        length += 1
                        terms.append(t)
                    }
                    documentPassages.append(Passage(text: sentence, terms: Array(Set(terms)).sorted()))
                }
            }
            // Postings in document order (append only), terms in a stable order.
            for (t, f) in frequencies.sorted(by: { $0.key < $1.key }) {
                postings[Int(t)].append(Posting(document: Int32(d), frequency: f))
            }
            lengths.append(length)
            passages.append(documentPassages)
        }

        let n = Double(documents.count)
        let average = documents.isEmpty ? 1 : max(1, Double(lengths.reduce(0, +)) / n)
        self.termIDs = termIDs
        self.postings = postings
        self.idf = postings.map { list in
            let df = Double(list.count)
            return Text.naturalLog(1 + (n - df + 0.5) / (df + 0.5))
        }
        self.lengthNorm = lengths.map { Self.k1 * (1 - Self.b + Self.b * Double($0) / average) }
        self.passages = passages
    }

    /// A document from a Markdown file: the title is the first "# " heading
    /// (else the file name without extension), the id the file name without
    /// extension, the body the rest as plain text.
    public static func document(path: String, markdown: String) -> KnowledgeDocument {
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        var name = fileName[...]
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = name[..<dot] }
        let text = Markdown.plainText(markdown)
        return KnowledgeDocument(id: String(name), title: text.title ?? String(name), body: text.body, source: path)
    }

    /// The query's term ids with their weights (unique; a repeated term keeps
    /// its highest weight) — stopwords and words not in the index are dropped.
    func queryTerms(_ words: [(word: String, weight: Double)]) -> [(id: Int32, weight: Double)] {
        var result: [(id: Int32, weight: Double)] = []
        for (text, weight) in words {
            for word in Text.words(text) where !stopwords.contains(word.text) {
                guard let id = termIDs[Text.stem(word.text)] else { continue }
                if let at = result.firstIndex(where: { $0.id == id }) {
                    result[at].weight = max(result[at].weight, weight)
                } else {
                    result.append((id, weight))
                }
            }
        }
        return result
    }

    /// The best `limit` documents for `query`, best first (BM25; ties by id).
    public func search(_ query: String, limit: Int) -> [KnowledgeHit] {
        search(weighted: [(query, 1)], limit: limit)
    }

    /// BM25 with a weight per query part: each term's contribution is
    /// multiplied by the weight of the part it came from (the copilot weighs
    /// the newest user message most).
    public func search(weighted parts: [(text: String, weight: Double)], limit: Int) -> [KnowledgeHit] {
        guard limit > 0, !documents.isEmpty else { return [] }
        let weighted = queryTerms(parts.map { ($0.text, $0.weight) })
        guard !weighted.isEmpty else { return [] }
        let terms = weighted.map(\.id)

        var scores = [Double](repeating: 0, count: documents.count)
        for (t, queryWeight) in weighted {
            let weight = queryWeight * idf[Int(t)] * (Self.k1 + 1)
            for posting in postings[Int(t)] {
                let d = Int(posting.document)
                let f = Double(posting.frequency)
                scores[d] += weight * f / (f + lengthNorm[d])
            }
        }

        // Top `limit` by (score desc, id asc), by insertion into a short list.
        var top: [Int] = []
        top.reserveCapacity(limit + 1)
        func better(_ a: Int, _ b: Int) -> Bool {
            scores[a] != scores[b] ? scores[a] > scores[b] : documents[a].id < documents[b].id
        }
        for d in scores.indices where scores[d] > 0 {
            if top.count == limit, let last = top.last, !better(d, last) { continue }
            var at = top.count
            while at > 0, better(d, top[at - 1]) { at -= 1 }
            top.insert(d, at: at)
            if top.count > limit { top.removeLast() }
        }

        return top.map { d in
            let document = documents[d]
            return KnowledgeHit(id: document.id, title: document.title, snippet: snippet(document: d, terms: terms),
                                source: document.source, score: Text.rounded(scores[d], places: 3))
        }
    }

    /// The passage with the most query weight (sum of idf of the query terms it
    /// contains; the earliest on ties), grown with the following passages up to
    /// the length budget, or cut around its first match when it is too long.
    func snippet(document d: Int, terms: [Int32]) -> String {
        let list = passages[d]
        guard !list.isEmpty else { return "" }
        var best = 0
        var bestWeight = 0.0
        for (p, passage) in list.enumerated() {
            var weight = 0.0
            for t in terms where passage.terms.contains(t) { weight += idf[Int(t)] }
            if weight > bestWeight { best = p; bestWeight = weight }
        }
        let passage = list[best].text
        if passage.count > Self.snippetLength {
            return window(passage, around: terms)
        }
        var text = String(passage)
        var next = best + 1
        while next < list.count, text.count + 2 + list[next].text.count <= Self.snippetLength {
            // Headings and list items have no full stop of their own.
            text += text.last.map { $0.isLetter || $0.isNumber } == true ? ". " : " "
            text += list[next].text
            next += 1
        }
        return text
    }

    /// A window of the passage starting a little before its first word that matches a query term.
    private func window(_ passage: Substring, around terms: [Int32]) -> String {
        var match: String.Index?
        var wordStart: String.Index?
        var position = passage.startIndex
        while match == nil {
            let atEnd = position == passage.endIndex
            if !atEnd, passage[position].isLetter || passage[position].isNumber || passage[position] == "'" {
                if wordStart == nil { wordStart = position }
            } else if let start = wordStart {
                let word = passage[start..<position].lowercased()
                if !stopwords.contains(word), let id = termIDs[Text.stem(word)], terms.contains(id) { match = start }
                wordStart = nil
            }
            if atEnd { break }
            position = passage.index(after: position)
        }
        guard let match, passage.distance(from: passage.startIndex, to: match) > 60 else {
            return Text.shortened(passage, to: Self.snippetLength)
        }
        // Start about 60 characters before the match, at a word boundary.
        var from = passage.index(match, offsetBy: -60)
        while from < match, !passage[from].isWhitespace { from = passage.index(after: from) }
        return "…" + Text.shortened(Text.trimmed(passage[from...]), to: Self.snippetLength - 1)
    }
}
