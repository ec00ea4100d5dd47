import Testing
import RelayJSON
@testable import CopilotAnalyzers

@Suite struct CopilotWorkspaceTests {
    static func workspace(_ settings: CopilotAnalyzerSettings = CopilotAnalyzerSettings()) -> CopilotWorkspace {
        CopilotWorkspace(settings: settings, knowledgeBase: Repository.demoKnowledgeBase, rules: .default)
    }

    static let conversation: [CopilotMessage] = [
        message(1, "system", "Conversation started"),
        message(2, "bot", "Hi Anna! I'm the virtual assistant. Ask me about orders, delivery, returns or opening hours."),
        message(3, "user", "hi"),
        message(4, "user", "My parcel is late, where is it? Order #A12345"),
        message(5, "bot", "You can track your order from the link in your confirmation email."),
        message(6, "user", "The tracking hasn't changed in a week. This is ridiculous!!"),
        message(7, "user", "I want a human"),
        message(8, "bot", "Sure — I'm connecting you to an agent now."),
        message(9, "agent", "Hi Anna, I'm Tom. Let me check that for you."),
        message(10, "user", "Honestly I just want my money back now. I paid €59.90"),
        message(11, "agent", "I understand. I have refunded the order."),
        message(12, "user", "Great, thank you so much, that was really helpful!"),
    ]

    // MARK: tile shapes

    @Test func tileIdsAndShapes() throws {
        var workspace = Self.workspace()
        for m in Self.conversation { workspace.append(m) }
        let tiles = workspace.tileData()
        #expect(Set(tiles.keys) == ["sentiment", "knowledge", "next-best-action", "summary"])

        let sentiment = try #require(tiles["sentiment"]?.objectValue)
        #expect(Set(sentiment.keys) == ["current", "trend", "messages", "average"])
        #expect(Set(try #require(sentiment["current"]?.objectValue).keys) == ["score", "label"])
        let messages = try #require(sentiment["messages"]?.arrayValue)
        #expect(messages.map { $0["seq"]?.intValue } == [3, 4, 6, 7, 10, 12])  // user messages only
        #expect(messages.allSatisfy { Set($0.objectValue?.keys.map { $0 } ?? []) == ["seq", "score", "label"] })

        let knowledge = try #require(tiles["knowledge"]?.objectValue)
        #expect(Set(knowledge.keys) == ["query", "suggestions"])
        let suggestions = try #require(knowledge["suggestions"]?.arrayValue)
        #expect(suggestions.count == 3)
        #expect(suggestions.allSatisfy { Set($0.objectValue?.keys.map { $0 } ?? []) == ["id", "title", "snippet", "source", "score"] })

        let actions = try #require(tiles["next-best-action"]?["actions"]?.arrayValue)
        #expect((1...3).contains(actions.count))
        for action in actions {
            let keys = Set(action.objectValue?.keys.map { $0 } ?? [])
            #expect(keys.isSuperset(of: ["id", "title", "reason"]) && keys.isSubset(of: ["id", "title", "detail", "template", "reason"]))
        }

        let summary = try #require(tiles["summary"]?.objectValue)
        #expect(Set(summary.keys) == ["intent", "botTried", "entities", "text"])
        #expect(Set(try #require(summary["entities"]?.objectValue).keys) == ["orderNumbers", "emails", "phones", "amounts"])
    }

    @Test func anEmptyWorkspace() {
        let tiles = Self.workspace().tileData()
        #expect(tiles["sentiment"] == ["current": ["score": 0, "label": "neutral"], "trend": "steady", "messages": [], "average": 0])
        #expect(tiles["knowledge"] == ["query": "", "suggestions": []])
        #expect(tiles["next-best-action"] == ["actions": []])
        #expect(tiles["summary"] == ["intent": "", "botTried": [], "entities": ["orderNumbers": [], "emails": [], "phones": [], "amounts": []], "text": ""])
    }

    // MARK: the conversation as it unfolds

    @Test func sentimentFollowsTheUser() throws {
        var workspace = Self.workspace()
        for m in Self.conversation.prefix(6) { workspace.append(m) }
        var sentiment = workspace.sentimentTile()
        #expect(sentiment["current"]?["label"] == "negative")
        #expect(sentiment["trend"] == "worsening")
        for m in Self.conversation.dropFirst(6) { workspace.append(m) }
        sentiment = workspace.sentimentTile()
        #expect(sentiment["trend"] == "improving")
        #expect(try #require(sentiment["current"]?["score"]?.doubleValue) > 0)
        #expect(sentiment["messages"]?.arrayValue?.last == ["seq": 12, "score": 0.89, "label": "positive"])
    }

    @Test func sentimentListsTheLastTwentyUserMessages() throws {
        var workspace = Self.workspace()
        for seq in 1...60 { workspace.append(message(seq, seq % 2 == 0 ? "user" : "bot", seq % 4 == 0 ? "great" : "terrible")) }
        let messages = try #require(workspace.sentimentTile()["messages"]?.arrayValue)
        #expect(messages.count == 20)
        #expect(messages.first?["seq"] == 22)
        #expect(messages.last?["seq"] == 60)
        #expect(workspace.sentimentTile()["average"] == 0)  // ten "great", ten "terrible"
    }

    @Test func knowledgeFollowsTheLastUserMessages() throws {
        var workspace = Self.workspace()
        for m in Self.conversation.prefix(6) { workspace.append(m) }
        var knowledge = workspace.knowledgeTile()
        #expect(knowledge["query"] == "parcel late order tracking changed")
        #expect(knowledge["suggestions"]?.arrayValue?.first?["id"] == "track-your-order")
        for m in Self.conversation.dropFirst(6).prefix(4) { workspace.append(m) }
        knowledge = workspace.knowledgeTile()
        #expect(knowledge["suggestions"]?.arrayValue?.first?["id"] == "returns-and-refunds")
        // Order numbers, amounts and small talk stay out of the query.
        let query = try #require(knowledge["query"]?.stringValue)
        #expect(!query.contains("a12345") && !query.contains("59") && !query.contains("human"))
    }

    @Test func knowledgeQueryWindowIsConfigurable() {
        var settings = CopilotAnalyzerSettings()
        settings.knowledgeQueryMessages = 1
        settings.knowledgeResults = 1
        var workspace = Self.workspace(settings)
        for m in Self.conversation.prefix(10) { workspace.append(m) }
        #expect(workspace.knowledgeTile()["query"] == "money back paid")
        #expect(workspace.knowledgeTile()["suggestions"]?.arrayValue?.count == 1)
    }

    @Test func nextBestActionsFollowTheConversation() throws {
        var settings = CopilotAnalyzerSettings()
        settings.maxActions = 10
        var workspace = Self.workspace(settings)
        for m in Self.conversation.prefix(6) { workspace.append(m) }
        #expect(workspace.suggestedActions().map(\.id) == ["apologise", "delivery-delay", "ask-order-number"])
        for m in Self.conversation.dropFirst(6).prefix(5) { workspace.append(m) }
        #expect(workspace.suggestedActions().map(\.id) == ["apologise", "refund-status", "delivery-delay", "confirm-refund-timeline"])
        // The mood lifts: no more apology; one more happy message and it is time to wrap up.
        workspace.append(Self.conversation[11])
        #expect(workspace.suggestedActions().map(\.id) == ["refund-status", "confirm-refund-timeline"])
        workspace.append(message(13, "user", "Perfect, thanks!"))
        #expect(workspace.suggestedActions().map(\.id) == ["refund-status", "confirm-refund-timeline", "wrap-up"])
        #expect(workspace.suggestedActions().last?.reason.hasPrefix("sentiment ") == true)
    }

    @Test func maxActionsIsConfigurable() {
        var settings = CopilotAnalyzerSettings()
        settings.maxActions = 1
        var workspace = Self.workspace(settings)
        for m in Self.conversation.prefix(6) { workspace.append(m) }
        #expect(workspace.suggestedActions().map(\.id) == ["apologise"])
    }

    // MARK: incremental = from scratch

    @Test func incrementalEqualsFromScratchAtEveryStep() {
        var incremental = Self.workspace()
        for (n, m) in Self.conversation.enumerated() {
            incremental.append(m)
            var fresh = Self.workspace()
            for earlier in Self.conversation.prefix(n + 1) { fresh.append(earlier) }
            #expect(incremental.tileData() == fresh.tileData(), "after seq \(m.seq)")
            #expect(incremental.tileData() == incremental.tileData())  // reading does not change anything
        }
    }

    @Test func incrementalEqualsFromScratchForALongConversation() {
        let long = Self.longConversation(count: 120)
        var incremental = Self.workspace()
        var snapshots: [[String: JSONValue]] = []
        for m in long {
            incremental.append(m)
            if m.seq % 17 == 0 { snapshots.append(incremental.tileData()) }
        }
        var k = 0
        for n in long.indices where long[n].seq % 17 == 0 {
            var fresh = Self.workspace()
            for m in long.prefix(n + 1) { fresh.append(m) }
            #expect(fresh.tileData() == snapshots[k])
            k += 1
        }
    }

    @Test func copiesAreIndependent() {
        var base = Self.workspace()
        for m in Self.conversation.prefix(6) { base.append(m) }
        let before = base.tileData()
        var copy = base
        copy.append(Self.conversation[9])
        #expect(base.tileData() == before)
        #expect(copy.tileData() != before)
        #expect(base.messageCount == 6 && copy.messageCount == 7)
    }

    @Test func replayedOrOlderMessagesAreIgnored() {
        var workspace = Self.workspace()
        for m in Self.conversation { workspace.append(m) }
        let before = workspace.tileData()
        workspace.append(Self.conversation[3])
        workspace.append(message(12, "user", "I hate this"))
        #expect(workspace.tileData() == before)
        #expect(workspace.messageCount == Self.conversation.count)
        #expect(workspace.lastSeq == 12)
    }

    @Test func unknownSendersCountAsSystem() {
        var workspace = Self.workspace()
        workspace.append(message(1, "supervisor", "I hate everything, refund refund"))
        #expect(workspace.sentimentTile()["messages"] == [])
        #expect(workspace.suggestedActions().isEmpty)
    }

    // MARK: redaction

    @Test func redactUsesTheSettings() {
        let text = "card 4111 1111 1111 1111, anna@example.com, +44 20 7946 0958"
        #expect(Self.workspace().redact(text) == "card [card ••••1111], anna@example.com, +44 20 7946 0958")
        var settings = CopilotAnalyzerSettings()
        settings.redaction.emails = true
        settings.redaction.phones = true
        #expect(Self.workspace(settings).redact(text) == "card [card ••••1111], [email], [phone]")
        settings.redaction = .none
        #expect(Self.workspace(settings).redact(text) == text)
    }

    @Test func personalDataStaysOutOfTheTiles() {
        var settings = CopilotAnalyzerSettings()
        settings.redaction = .all
        var workspace = Self.workspace(settings)
        workspace.append(message(1, "user", "I was charged twice on card 4111 1111 1111 1111! mail anna@example.com, call +44 20 7946 0958"))
        let serialized = JSONValue.object(workspace.tileData()).serialized
        #expect(!serialized.contains("4111 1111"))
        #expect(!serialized.contains("anna@"))
        #expect(!serialized.contains("7946"))
        #expect(serialized.contains("[card ••••1111]"))
    }

    @Test func languageFallsBackToEnglish() {
        var settings = CopilotAnalyzerSettings()
        settings.language = "xx"
        var workspace = Self.workspace(settings)
        workspace.append(message(1, "user", "this is terrible"))
        #expect(workspace.sentimentTile()["current"]?["label"] == "negative")
    }

    // MARK: helpers

    /// A deterministic long conversation mixing senders, topics and moods.
    static func longConversation(count: Int) -> [CopilotMessage] {
        let user = [
            "hi", "My parcel is late, order #A12345", "This is ridiculous!!", "I want my money back", "I paid $45.99",
            "not bad actually", "can you call me on +44 20 7946 0958", "my email is anna@example.com", "I was charged twice",
            "I forgot my password", "thanks, that helps :)", "still nothing... very disappointed",
        ]
        let bot = ["You can track your order from the link in your confirmation email.", "I'm not sure I understood."]
        let agent = ["Let me check that for you.", "I have refunded the order.", "Anything else?"]
        return (1...count).map { seq in
            switch seq % 5 {
            case 0: message(seq, "agent", agent[seq % agent.count])
            case 3: message(seq, "bot", bot[seq % bot.count])
            default: message(seq, "user", user[(seq * 7) % user.count])
            }
        }
    }
}
