import Testing
@testable import CopilotAnalyzers

@Suite struct SentimentTests {
    let analyzer = SentimentAnalyzer()
    func score(_ text: String) -> Double { analyzer.analyze(text).score }

    @Test(arguments: [
        "This is terrible", "I hate this, worst service ever", "My order is late again and nobody answers. Useless!",
        "I'm really frustrated and disappointed", "THIS IS UNACCEPTABLE", "awful 😡",
    ])
    func clearlyNegative(text: String) {
        let s = analyzer.analyze(text)
        #expect(s.score < -0.3)
        #expect(s.label == .negative)
    }

    @Test(arguments: [
        "Thanks, that was really helpful!", "Great, perfect, thank you so much", "I love it :)", "Excellent service 👍",
        "You're amazing",
    ])
    func clearlyPositive(text: String) {
        let s = analyzer.analyze(text)
        #expect(s.score > 0.3)
        #expect(s.label == .positive)
    }

    @Test(arguments: ["Where is my order?", "My order number is 123456", "I would like a refund", "Can you check the address"])
    func neutral(text: String) {
        let s = analyzer.analyze(text)
        #expect(s.score == 0)
        #expect(s.label == .neutral)
        #expect(s.signals == 0)
    }

    @Test func negationFlipsPositiveAndDampensNegative() {
        #expect(score("good") > 0)
        #expect(score("not good") < 0)
        #expect(score("not bad") > 0)
        #expect(score("not bad") < 0.3)          // mildly positive
        #expect(score("not bad") < score("good"))
        #expect(score("I don't like it") < 0)
        #expect(score("I dont like it") < 0)
        #expect(score("I never had good service here") < 0)
        #expect(score("I'm not really happy") < 0)  // within the three-word window
        #expect(score("no problem") > 0)
    }

    @Test func negationStopsAtTheClauseAndTheWindow() {
        #expect(score("not sure, but great") > 0)
        #expect(score("not that I would say the service is good") > 0)  // "not" is more than three words back
    }

    @Test func intensifiersAndDowntonersScale() {
        #expect(score("extremely good") > score("very good"))
        #expect(score("very good") > score("good"))
        #expect(score("good") > score("slightly good"))
        #expect(score("slightly good") > 0)
        #expect(score("so annoying") < score("annoying"))
        #expect(score("a bit annoying") > score("annoying"))
        #expect(score("kind of annoying") < 0)  // "kind" is not the positive adjective here
    }

    @Test func capsAndExclamationMarksBoost() {
        #expect(score("this is TERRIBLE") < score("this is terrible"))
        #expect(score("this is terrible!!") < score("this is terrible"))
        #expect(score("thanks!!!") > score("thanks"))
        #expect(score("!!!") == 0)  // exclamation marks alone carry no sentiment
    }

    @Test func emoticonsCount() {
        #expect(score("ok :)") > score("ok"))
        #expect(score("ok :(") < 0)
        #expect(score("thanks:)") > score("thanks"))
        #expect(score("🙂") > 0)
        #expect(score("😡") < 0)
    }

    @Test func wordsAfterButWeighMore() {
        #expect(score("the service was great but the delivery was awful") < 0)
        #expect(score("the delivery was awful but the service was great") > 0)
    }

    @Test func scoresStayInRange() {
        let rant = String(repeating: "terrible awful horrible worst!!! ", count: 30)
        #expect(score(rant) >= -1)
        #expect(score(rant) < -0.95)
        #expect(score(String(repeating: "great ", count: 100)) <= 1)
    }

    @Test func labelsUseAThreshold() {
        #expect(SentimentLabel(score: -0.1) == .negative)
        #expect(SentimentLabel(score: -0.09) == .neutral)
        #expect(SentimentLabel(score: 0.09) == .neutral)
        #expect(SentimentLabel(score: 0.1) == .positive)
    }

    @Test func trend() {
        #expect(SentimentAnalyzer.trend([]) == .steady)
        #expect(SentimentAnalyzer.trend([-0.8]) == .steady)
        #expect(SentimentAnalyzer.trend([-0.8, -0.6, 0.5]) == .improving)
        #expect(SentimentAnalyzer.trend([0.4, 0.3, -0.2, -0.7]) == .worsening)
        #expect(SentimentAnalyzer.trend([-0.3, -0.25, -0.35, -0.3]) == .steady)
        // Only the last three count against the three before them.
        #expect(SentimentAnalyzer.trend([0.9, 0.9, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]) == .steady)
    }

    @Test func currentMoodIsARunningMeanOverMessagesWithSentiment() {
        let angry = Sentiment(score: -0.8, signals: 2)
        let calm = Sentiment(score: 0.5, signals: 1)
        let neutral = Sentiment(score: 0, signals: 0)
        var current = SentimentAnalyzer.current(after: nil, with: neutral)
        #expect(current == nil)
        current = SentimentAnalyzer.current(after: current, with: angry)
        #expect(current == -0.8)
        current = SentimentAnalyzer.current(after: current, with: neutral)  // "it's order 12345" says nothing about the mood
        #expect(current == -0.8)
        current = SentimentAnalyzer.current(after: current, with: calm)
        #expect(current == -0.02)  // 0.6 · 0.5 + 0.4 · -0.8
    }
}
