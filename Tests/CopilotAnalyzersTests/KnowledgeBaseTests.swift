import Testing
@testable import CopilotAnalyzers

@Suite struct KnowledgeBaseTests {
    let kb = Repository.demoKnowledgeBase

    // MARK: documents

    @Test func documentFromMarkdown() {
        let doc = KnowledgeBase.document(path: "kb/returns.md", markdown: "Intro.\n# Returns & refunds\n\nYou can **return** items.")
        #expect(doc == KnowledgeDocument(id: "returns", title: "Returns & refunds", body: "Intro.\nYou can return items.", source: "kb/returns.md"))
        let untitled = KnowledgeBase.document(path: "store-hours.md", markdown: "We open at 9.")
        #expect(untitled.title == "store-hours")
        #expect(untitled.id == "store-hours")
    }

    @Test func demoKnowledgeBaseIsComplete() throws {
        let documents = try Repository.demoDocuments()
        #expect((10...15).contains(documents.count))
        #expect(kb.count == documents.count)
        for document in documents {
            let words = Text.tokens(document.title + " " + document.body).count
            #expect((200...600).contains(words), "\(document.id) has \(words) words")
            #expect(!document.title.isEmpty && document.title != document.id, "\(document.id) has a heading")
            #expect(!document.body.contains("**") && !document.body.contains("]("), "\(document.id) body is plain text")
        }
        #expect(Set(documents.map(\.id)).count == documents.count)
    }

    // MARK: ranking on the demo knowledge base

    @Test(arguments: [
        ("my parcel is late where is it", ["track-your-order", "shipping-times"]),
        ("I want my money back", ["returns-and-refunds"]),
        ("I was charged twice", ["billing-disputes", "failed-payment"]),
        ("forgot my password, can't log in", ["password-reset"]),
        ("the item arrived broken", ["damaged-or-wrong-item"]),
        ("how do I cancel my order", ["cancel-an-order"]),
        ("my promo code is not working", ["promo-codes"]),
        ("my card was declined", ["failed-payment", "payment-methods"]),
        ("I need to change the delivery address", ["change-delivery-address"]),
        ("is it still under warranty, can you repair it", ["warranty"]),
        ("when is the store open on sunday", ["store-hours"]),
        ("which payment methods do you accept, klarna?", ["payment-methods"]),
    ])
    func rankingOnTheDemoKnowledgeBase(query: String, expectedTop: [String]) {
        let hits = kb.search(query, limit: 3)
        #expect(Array(hits.map(\.id).prefix(expectedTop.count)) == expectedTop, "\(query): \(hits.map { "\($0.id) \($0.score)" })")
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
    }

    @Test func hitsCarryTitleSourceAndASnippetAroundTheMatch() throws {
        let hit = try #require(kb.search("I want my money back", limit: 1).first)
        #expect(hit.title == "Returns and refunds")
        #expect(hit.source == "docs/examples/kb/returns-and-refunds.md")
        #expect(hit.snippet.contains("money back"))
        #expect(hit.snippet.count <= 201)
        for query in ["my parcel is late where is it", "charged twice", "password", "klarna instalments", "gift card balance"] {
            for hit in kb.search(query, limit: 5) {
                #expect(hit.snippet.count <= 201, "\(hit.id): \(hit.snippet)")
                #expect(!hit.snippet.isEmpty)
            }
        }
    }

    @Test func snippetsOfLongPassagesWindowAroundTheMatch() throws {
        let filler = (1...40).map { "word\($0)" }.joined(separator: " ")
        let kb = KnowledgeBase(documents: [
            KnowledgeDocument(id: "long", title: "Long", body: filler + " the zebra appears here " + filler + ".", source: "long.md"),
        ])
        let snippet = try #require(kb.search("zebra", limit: 1).first).snippet
        #expect(snippet.hasPrefix("…"))
        #expect(snippet.hasSuffix("…"))
        #expect(snippet.contains("zebra"))
        #expect(snippet.count <= 201)
    }

    // MARK: BM25

    @Test func bm25Score() throws {
        let kb = KnowledgeBase(documents: [
            KnowledgeDocument(id: "d1", title: "", body: "apple banana", source: ""),
            KnowledgeDocument(id: "d2", title: "", body: "apple", source: ""),
            KnowledgeDocument(id: "d3", title: "", body: "cherry", source: ""),
        ])
        // idf = ln(1 + (3 − 1 + ½)/(1 + ½)) = 0.98083; avgdl = 4/3; norm = 1.2 · (0.25 + 0.75 · 2/(4/3)) = 1.65
        // score = 0.98083 · 2.2 · 1/(1 + 1.65) = 0.814
        let hits = kb.search("banana", limit: 3)
        #expect(hits.map(\.id) == ["d1"])
        #expect(hits.first?.score == 0.814)
        // The shorter document wins for a term both contain once.
        #expect(kb.search("apple", limit: 3).map(\.id) == ["d2", "d1"])
    }

    @Test func titleWordsWeighMore() {
        let kb = KnowledgeBase(documents: [
            KnowledgeDocument(id: "a", title: "Gift cards", body: "How to use them at checkout.", source: ""),
            KnowledgeDocument(id: "b", title: "Checkout", body: "You can pay with gift cards.", source: ""),
        ])
        #expect(kb.search("gift cards", limit: 2).map(\.id) == ["a", "b"])
    }

    @Test func tiesAreBrokenById() {
        let body = "Returns are free within thirty days."
        let kb = KnowledgeBase(documents: ["c", "a", "b"].map { KnowledgeDocument(id: $0, title: "", body: body, source: "") })
        let hits = kb.search("returns", limit: 3)
        #expect(hits.map(\.id) == ["a", "b", "c"])
        #expect(Set(hits.map(\.score)).count == 1)
        #expect(kb.search("returns", limit: 2).map(\.id) == ["a", "b"])
    }

    @Test func stopwordsAndStemming() {
        // "shipping" finds "ships"; "the"/"is" alone find nothing.
        let kb = KnowledgeBase(documents: [KnowledgeDocument(id: "s", title: "", body: "The order ships today.", source: "")])
        #expect(kb.search("shipping", limit: 1).map(\.id) == ["s"])
        #expect(kb.search("the is", limit: 1).isEmpty)
    }

    @Test func emptyQueriesAndLimits() {
        #expect(kb.search("", limit: 3).isEmpty)
        #expect(kb.search("xyzzy plugh", limit: 3).isEmpty)
        #expect(kb.search("order", limit: 0).isEmpty)
        #expect(kb.search("order", limit: 2).count == 2)
        #expect(KnowledgeBase(documents: []).search("order", limit: 3).isEmpty)
    }

    @Test func weightedSearchPrefersTheHeavierPart() {
        let money = kb.search(weighted: [("password login", 0.3), ("money back refund", 1)], limit: 1)
        #expect(money.first?.id == "returns-and-refunds")
        let password = kb.search(weighted: [("password login", 1), ("money back refund", 0.3)], limit: 1)
        #expect(password.first?.id == "password-reset")
    }
}
