import Testing
@testable import RelayCore

@Suite struct RuleBotTests {
    let bot = RuleBot()
    let script = RuleBotScript.default

    @Test func greetingUsesTheName() {
        #expect(bot.respond(to: .sessionStarted(UserInfo(name: "Ada"))) == BotTurn(replies: [script.greeting.replacingOccurrences("{name}", "Ada")]))
        #expect(bot.respond(to: .sessionStarted(UserInfo(name: "Ada"))).replies[0].hasPrefix("Hi Ada! I'm the virtual assistant."))
        #expect(bot.respond(to: .sessionStarted(UserInfo())).replies[0].hasPrefix("Hi there! "))
        #expect(bot.respond(to: .sessionStarted(UserInfo())).handover == nil)
    }

    @Test func everyPlaceholderIsReplaced() {
        let custom = RuleBot(script: scriptWith(greeting: "{name}, hello {name}! {other} {na"))
        #expect(custom.respond(to: .sessionStarted(UserInfo(name: "Bo"))).replies == ["Bo, hello Bo! {other} {na"])
        // A name that itself looks like a placeholder is not expanded again.
        #expect(custom.respond(to: .sessionStarted(UserInfo(name: "{name}"))).replies == ["{name}, hello {name}! {other} {na"])
    }

    @Test(arguments: [
        "agent", "Agent!", "I want an agent", "can I talk to a HUMAN please?", "a real person", "representative",
        "operator", "get me someone real", "I'd like to speak to someone", "talk to someone now", "agent?!", "person",
    ])
    func handoverKeywords(text: String) {
        #expect(bot.respond(to: .userMessage(text)) == BotTurn(replies: [script.handoverReply], handover: HandoverRequest()))
    }

    @Test(arguments: ["agentic", "agents", "reagent", "humane", "personal", "operators", "speak to me", "someone", "real"])
    func keywordsMatchWholeWordsOnly(text: String) {
        #expect(bot.respond(to: .userMessage(text)).handover == nil)
    }

    @Test func phrasesMustBeContiguous() {
        let custom = RuleBot(script: scriptWith(handoverKeywords: ["real person"]))
        #expect(custom.respond(to: .userMessage("is this a real person?")).handover != nil)
        #expect(custom.respond(to: .userMessage("REAL   person")).handover != nil)
        #expect(custom.respond(to: .userMessage("real-person")).handover != nil)
        #expect(custom.respond(to: .userMessage("a real live person")).handover == nil)
        #expect(custom.respond(to: .userMessage("person real")).handover == nil)
        #expect(custom.respond(to: .userMessage("real")).handover == nil)
    }

    @Test(arguments: [
        ("What are your opening hours?", 0),
        ("when do you close", 0),
        ("how long does shipping take", 1),
        ("I want a refund", 2),
        ("Where's my order?", 3),
        ("track", 3),
        ("forgot my password", 4),
    ])
    func faqAnswers(text: String, faq: Int) {
        #expect(bot.respond(to: .userMessage(text)) == BotTurn(replies: [script.faqs[faq].answer]))
    }

    @Test func bestFAQWinsByKeywordCount() {
        // "return" (returns FAQ, 1) vs "where" + "order" (order FAQ, 2).
        #expect(bot.respond(to: .userMessage("where is the order I want to return")).replies == [script.faqs[3].answer])
        // "delivery" + "arrive" (2) beats "order" (1).
        #expect(bot.respond(to: .userMessage("when will my order delivery arrive")).replies == [script.faqs[1].answer])
    }

    @Test func faqTiesGoToTheEarlierEntry() {
        // "open" (hours, 1) and "refund" (returns, 1).
        #expect(bot.respond(to: .userMessage("are you open for a refund")).replies == [script.faqs[0].answer])
        let custom = RuleBot(script: scriptWith(faqs: [.init(keywords: ["a"], answer: "first"), .init(keywords: ["b"], answer: "second")]))
        #expect(custom.respond(to: .userMessage("b a")).replies == ["first"])
        #expect(custom.respond(to: .userMessage("b")).replies == ["second"])
    }

    @Test func handoverKeywordsBeatFAQs() {
        #expect(bot.respond(to: .userMessage("agent, where is my order")).handover == HandoverRequest())
    }

    @Test(arguments: ["", "hello", "asdf qwer", "🙂", "ordering"])
    func fallback(text: String) {
        #expect(bot.respond(to: .userMessage(text)) == BotTurn(replies: [script.fallback]))
    }

    @Test func afterHandoverByOutcome() {
        #expect(bot.respond(to: .handoverFinished(.ended(by: .agent))) == BotTurn(replies: [script.afterAgent]))
        #expect(bot.respond(to: .handoverFinished(.ended(by: .user))) == BotTurn(replies: [script.afterAgent]))
        #expect(bot.respond(to: .handoverFinished(.cancelled)) == BotTurn(replies: [script.afterCancel]))
        let failed = bot.respond(to: .handoverFinished(.failed(reason: "8x8 answered 503")))
        #expect(failed == BotTurn(replies: [
            "I'm sorry, I couldn't connect you to an agent (8x8 answered 503). You're back with the virtual assistant — say \"agent\" to try again.",
        ]))
        #expect(failed.handover == nil)
    }

    @Test func wordsSplitOnNonAlphanumerics() {
        #expect(RuleBot.words("Where's my ORDER? #42 café") == ["where", "s", "my", "order", "42", "café"])
        #expect(RuleBot.words("  ...  ").isEmpty)
    }

    @Test func containsPhrase() {
        let words = RuleBot.words("please talk to someone now")
        #expect(RuleBot.contains(phrase: RuleBot.words("talk to someone"), in: words))
        #expect(RuleBot.contains(phrase: RuleBot.words("now"), in: words))
        #expect(!RuleBot.contains(phrase: RuleBot.words("to talk"), in: words))
        #expect(!RuleBot.contains(phrase: [], in: words))
        #expect(!RuleBot.contains(phrase: RuleBot.words("a b c d e f g"), in: RuleBot.words("a b")))
    }

    private func scriptWith(greeting: String? = nil, handoverKeywords: [String]? = nil, faqs: [RuleBotScript.FAQ]? = nil) -> RuleBotScript {
        var s = RuleBotScript.default
        if let greeting { s.greeting = greeting }
        if let handoverKeywords { s.handoverKeywords = handoverKeywords }
        if let faqs { s.faqs = faqs }
        return s
    }
}

extension String {
    /// A tiny stand-in so the tests do not need Foundation.
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
