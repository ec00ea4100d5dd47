import Testing
@testable import CopilotAnalyzers

@Suite struct TextTests {
    @Test func wordsAreLowercasedWithApostrophesKept() {
        #expect(Text.tokens("I DON'T want the customer’s parcel, ok?") == ["i", "don't", "want", "the", "customer's", "parcel", "ok"])
        #expect(Text.tokens("order #A12345 costs $45.99") == ["order", "a12345", "costs", "45", "99"])
        #expect(Text.tokens("'quoted' words") == ["quoted", "words"])
        #expect(Text.tokens("Überweisung FEHLGESCHLAGEN") == ["überweisung", "fehlgeschlagen"])
        #expect(Text.tokens("") == [])
        #expect(Text.tokens("🙂 !!") == [])
    }

    @Test func wordsRememberCapsAndClauseBreaks() {
        let words = Text.words("This is NOT ok, I said")
        #expect(words.map(\.isShouted) == [false, false, true, false, false, false])
        #expect(words.map(\.followsBreak) == [false, false, false, false, true, false])
        #expect(Text.words("I A")[0].isShouted == false)  // one letter is not shouting
    }

    @Test(arguments: [
        ("parcels", "parcel"), ("parcel", "parcel"), ("shipping", "ship"), ("shipped", "ship"), ("ship", "ship"),
        ("cancelled", "cancel"), ("canceled", "cancel"), ("cancel", "cancel"), ("charged", "charg"), ("charge", "charg"),
        ("charging", "charg"), ("billing", "bill"), ("deliveries", "delivery"), ("arrived", "arriv"), ("arrive", "arriv"),
        ("refunds", "refund"), ("refunded", "refund"), ("addresses", "address"), ("address", "address"), ("status", "status"),
        ("customer's", "customer"), ("don't", "don't"), ("tracking", "track"), ("need", "need"), ("being", "being"),
        ("was", "was"), ("applied", "apply"), ("codes", "code"),
    ])
    func lightStemming(word: String, stem: String) {
        #expect(Text.stem(word) == stem)
    }

    @Test func termsDropStopwordsAndStem() {
        #expect(Text.terms("Where is my parcel? The tracking says delivered", stopwords: Lexicon.english.stopwords)
            == ["parcel", "track", "say", "deliver"])
    }

    @Test func sentences() {
        #expect(Text.sentences("Hi there! My order no. 12345 is late. Where is it?? It cost $45.99… e.g. this")
            == ["Hi there!", "My order no. 12345 is late.", "Where is it??", "It cost $45.99…", "e.g. this"])
        #expect(Text.sentences("first line\nsecond line.  third (really).") == ["first line", "second line.", "third (really)."])
        #expect(Text.sentences("mail a.b@example.com now") == ["mail a.b@example.com now"])
        #expect(Text.sentences("  ") == [])
    }

    @Test func shortenedCutsAtAWordBoundary() {
        #expect(Text.shortened("short", to: 10) == "short")
        let long = "The quick brown fox jumps over the lazy dog"
        let cut = Text.shortened(long, to: 20)
        #expect(cut == "The quick brown fox…")
        #expect(cut.count <= 20)
    }

    @Test func roundingAndLogarithm() {
        #expect(Text.rounded(0.123456) == 0.12)
        #expect(Text.rounded(-0.004) == 0)
        #expect(Text.rounded(1.23456, places: 3) == 1.235)
        #expect(abs(Text.naturalLog(2.718281828459045) - 1) < 1e-15)
        #expect(abs(Text.naturalLog(10) - 2.302585092994046) < 1e-14)
        #expect(abs(Text.naturalLog(0.5) + 0.6931471805599453) < 1e-15)
        #expect(abs(Text.naturalLog(1e-9) + 20.72326583694641) < 1e-12)
        #expect(Text.naturalLog(1) == 0)
    }
}
