import Testing
@testable import CopilotAnalyzers

@Suite struct LexiconTests {
    @Test func englishIsACompactLexicon() {
        let english = Lexicon.english
        #expect(english.language == "en")
        #expect((200...400).contains(english.valences.count))
        #expect(english.valences.values.allSatisfy { (-4...4).contains($0) && $0 != 0 })
        #expect(english.valences["terrible"]! < 0)
        #expect(english.valences["helpful"]! > 0)
        #expect(english.modifiers["very"]! > 1)
        #expect(english.modifiers["slightly"]! < 1)
        #expect(english.negators.isSuperset(of: ["not", "never", "don't", "dont", "no"]))
        #expect(english.emoticons[":)"]! > 0 && english.emoticons["😡"]! < 0)
    }

    @Test(arguments: ["en", "EN", "en-GB", "en_US", "english"])
    func selectedByLanguageCode(code: String) {
        #expect(Lexicon.forLanguage(code)?.language == "en")
    }

    @Test func unknownLanguagesHaveNoLexicon() {
        #expect(Lexicon.forLanguage("de") == nil)
        #expect(Lexicon.forLanguage("") == nil)
    }

    @Test func valenceFallsBackToTheSingular() {
        let english = Lexicon.english
        #expect(english.valence(of: "problems") == english.valences["problem"])
        #expect(english.valence(of: "bus") == nil)
        #expect(english.valence(of: "parcel") == nil)
    }

    @Test func wordListsDoNotOverlapWhereItWouldConfuse() {
        let english = Lexicon.english
        // A word is either a modifier or a sentiment word, except "super" ("super helpful" / "super!").
        #expect(Set(english.modifiers.keys).intersection(english.valences.keys) == ["super"])
        #expect(english.negators.intersection(english.valences.keys).isEmpty)
    }
}
