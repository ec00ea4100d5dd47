import Testing
import RelayJSON
@testable import CopilotAnalyzers

@Suite struct SummaryTests {
    static func summary(_ messages: [(String, String)], settings: CopilotAnalyzerSettings = CopilotAnalyzerSettings()) -> JSONValue {
        var workspace = CopilotWorkspace(settings: settings, knowledgeBase: KnowledgeBase(documents: []), rules: NextBestActionRules())
        for (i, (from, text)) in messages.enumerated() { workspace.append(message(i + 1, from, text)) }
        return workspace.summaryTile()
    }

    static let conversation: [(String, String)] = [
        ("bot", "Hi Anna! I'm the virtual assistant. Ask me about orders, delivery, returns or opening hours."),
        ("user", "Hi there"),
        ("user", "Hello, my parcel is late. Order #A12345 was supposed to arrive on Monday."),
        ("bot", "You can track your order from the link in your confirmation email. If it hasn't moved in 3 days, say \"agent\"."),
        ("user", "The tracking hasn't updated in a week!! This is ridiculous."),
        ("bot", "I'm not sure I understood. I can help with orders, delivery, returns and opening hours."),
        ("user", "I want a human"),
        ("bot", "Sure — I'm connecting you to an agent now. I'll pass on our conversation so you don't have to repeat yourself."),
        ("agent", "Hi Anna, I'm Tom. Let me check that for you."),
        ("bot", "This bot line comes after the agent joined."),
        ("user", "I paid $45.99 and want my money back if it doesn't come by Friday. Mail me at anna@example.com or call +44 20 7946 0958."),
    ]

    @Test func theWholeSummary() {
        #expect(Self.summary(Self.conversation) == [
            "intent": "My parcel is late. Order #A12345 was supposed to arrive on Monday.",
            "botTried": [
                "You can track your order from the link in your confirmation email.",
                "I'm not sure I understood. I can help with orders, delivery, returns and opening hours.",
            ],
            "entities": [
                "orderNumbers": ["#A12345"],
                "emails": ["anna@example.com"],
                "phones": ["+44 20 7946 0958"],
                "amounts": ["$45.99"],
            ],
            "text": "My parcel is late. Order #A12345 was supposed to arrive on Monday. I paid $45.99 and want my money back if it doesn't come by Friday.",
        ])
    }

    @Test func entitiesComeFromUserMessagesOnly() {
        let tile = Self.summary([
            ("bot", "Call us at +31 20 123 4567 or mail help@shop.example"),
            ("agent", "Your order ORD-2024-001 was refunded €20"),
            ("user", "thanks, it was order 778899 and I paid 20 EUR"),
        ])
        #expect(tile["entities"] == ["orderNumbers": ["778899"], "emails": [], "phones": [], "amounts": ["20 EUR"]])
    }

    @Test func redactedEmailsAndPhonesAreNotListedOrQuoted() {
        var settings = CopilotAnalyzerSettings()
        settings.redaction = .all
        let tile = Self.summary([("user", "My card 4111 1111 1111 1111 was charged twice, mail anna@example.com or call +44 20 7946 0958")], settings: settings)
        #expect(tile["entities"] == ["orderNumbers": [], "emails": [], "phones": [], "amounts": []])
        #expect(tile["intent"] == "My card [card ••••1111] was charged twice, mail [email] or call [phone]")
        #expect(tile["text"]?.stringValue?.contains("4111") == false)
    }

    @Test func cardNumbersAreAlwaysRedactedByDefault() {
        let tile = Self.summary([("user", "please use card 4111 1111 1111 1111 for the refund")])
        #expect(tile["intent"] == "please use card [card ••••1111] for the refund")
    }

    @Test func intentSkipsGreetingsAndBareRequestsForAPerson() {
        let tile = Self.summary([("user", "hi"), ("user", "agent please"), ("user", "Good morning! Hey, can I change my delivery address?")])
        #expect(tile["intent"] == "Can I change my delivery address?")
        #expect(Self.summary([("user", "hello"), ("user", "thanks")])["intent"] == "")
    }

    @Test func intentIsShortened() throws {
        let long = String(repeating: "My order is very late and nobody tells me anything ", count: 10)
        let intent = try #require(Self.summary([("user", long)])["intent"]?.stringValue)
        #expect(intent.count <= ConversationSummary.requestLength)
        #expect(intent.hasSuffix("…"))
    }

    @Test func summaryTextHasTwoToFourSentencesInConversationOrder() throws {
        let tile = Self.summary([
            ("user", "My blender arrived broken. The glass jug is cracked."),
            ("user", "I ordered the blender last week."),
            ("user", "ok"),
            ("user", "The jug leaks everywhere. Can I get a replacement blender? Or a refund for the blender?"),
            ("user", "It was a gift. I need the blender by Saturday."),
        ])
        let text = try #require(tile["text"]?.stringValue)
        let sentences = Text.sentences(text)
        #expect((2...4).contains(sentences.count), "\(text)")
        #expect(sentences.first == "My blender arrived broken.")  // the request comes first
        #expect(!sentences.contains("ok."))
        // Conversation order: each picked sentence appears in the order it was said.
        let all = ["My blender arrived broken.", "The glass jug is cracked.", "I ordered the blender last week.", "The jug leaks everywhere.",
                   "Can I get a replacement blender?", "Or a refund for the blender?", "It was a gift.", "I need the blender by Saturday."]
        let positions = sentences.map { s in all.firstIndex(of: String(s)) ?? -1 }
        #expect(!positions.contains(-1))
        #expect(positions == positions.sorted())
    }

    @Test func oneSentenceIsEnough() {
        #expect(Self.summary([("user", "Where is my parcel")])["text"] == "Where is my parcel.")
        #expect(Self.summary([])["text"] == "")
    }

    @Test func botAnswersAreKeptShortAndOnce() throws {
        let long = "Standard delivery takes 2–4 working days; express delivery arrives the next working day if you order before 14:00, "
            + "and evening delivery is available in most cities for a small extra fee that depends on the area."
        let tile = Self.summary([("user", "delivery?"), ("bot", long), ("user", "and?"), ("bot", long)])
        let tried = try #require(tile["botTried"]?.arrayValue)
        #expect(tried.count == 1)
        let answer = try #require(tried.first?.stringValue)
        #expect(answer.count <= ConversationSummary.botAnswerLength)
        #expect(answer.hasPrefix("Standard delivery takes"))
    }

    @Test func helpers() {
        let english = Lexicon.english
        #expect(ConversationSummary.isSmallTalk(Text.words("Hi there, good morning!"), lexicon: english))
        #expect(ConversationSummary.isSmallTalk(Text.words("can I speak to a real person please"), lexicon: english))
        #expect(!ConversationSummary.isSmallTalk(Text.words("hi, my parcel is late"), lexicon: english))
        #expect(ConversationSummary.isHandoverNotice(Text.words("I'm connecting you to an agent now"), lexicon: english))
        #expect(!ConversationSummary.isHandoverNotice(Text.words("Connect the cable to the port"), lexicon: english))
        #expect(ConversationSummary.punctuated("hello") == "hello.")
        #expect(ConversationSummary.punctuated("hello?") == "hello?")
    }
}
