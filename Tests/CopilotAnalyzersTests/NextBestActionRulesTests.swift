import Testing
import RelayJSON
@testable import CopilotAnalyzers

@Suite struct NextBestActionRulesTests {
    static func rule(_ id: String, _ when: JSONValue, priority: Double? = nil, title: String? = nil) -> JSONValue {
        var rule: JSONValue = ["id": .string(id), "when": when, "action": ["title": .string(title ?? "Do \(id)")]]
        if let priority, case .object(var o) = rule { o["priority"] = .number(priority); rule = .object(o) }
        return rule
    }

    static func stems(_ text: String) -> [String] { Text.words(text).map { Text.stem($0.text) } }

    static func input(user: [String], agent: [String] = [], sentiment: Double? = nil) -> RuleInput {
        RuleInput(recent: [.user: user.map(stems), .agent: agent.map(stems), .any: (user + agent).map(stems)], sentiment: sentiment)
    }

    static let sample: NextBestActionRules = {
        // swiftlint:disable:next force_try
        try! NextBestActionRules.parse([
            "intents": [["name": "refund", "keywords": ["refund", "money back"]]],
            "rules": [
                rule("angry", ["sentimentBelow": -0.4], priority: 100),
                rule("refund", ["intent": "refund"], priority: 70),
                rule("return", ["anyKeywords": ["return", "send back"]], priority: 50),
                rule("twice", ["allKeywords": ["charged", "twice"]], priority: 80),
                rule("happy", ["sentimentAbove": 0.5, "anyKeywords": ["thanks"]], priority: 10),
                rule("agent-refund", ["anyKeywords": ["refunded"], "from": "agent"], priority: 5),
                rule("order", ["anyKeywords": ["order"]]),
            ],
        ])
    }()

    func fired(_ input: RuleInput, limit: Int = 3) -> [String] { Self.sample.evaluate(input, limit: limit).map(\.id) }

    // MARK: firing

    @Test func keywordsMatchWholeStemmedWordsCaseInsensitively() {
        #expect(fired(Self.input(user: ["I want to RETURN these shoes"])) == ["return"])
        #expect(fired(Self.input(user: ["Can I send it back?"])) == [])  // "send back" is a phrase, not two words anywhere
        #expect(fired(Self.input(user: ["can i send back the shoes"])) == ["return"])
        #expect(fired(Self.input(user: ["returned it yesterday"])) == ["return"])  // stemmed
        #expect(fired(Self.input(user: ["the returnee"])) == [])  // whole words only
    }

    @Test func reasonsSayWhatMatched() throws {
        let actions = Self.sample.evaluate(Self.input(user: ["I was charged twice, I want my money back"], sentiment: -0.62), limit: 3)
        #expect(actions.map(\.id) == ["angry", "twice", "refund"])
        #expect(actions.map(\.reason) == ["sentiment -0.62 below -0.4", "matched 'charged' and 'twice'", "intent 'refund' (matched 'money back')"])
        #expect(actions[0].title == "Do angry")
    }

    @Test func sentimentThresholdsAreStrict() {
        #expect(fired(Self.input(user: ["hm"], sentiment: -0.41)) == ["angry"])
        #expect(fired(Self.input(user: ["hm"], sentiment: -0.4)) == [])
        #expect(fired(Self.input(user: ["hm"], sentiment: nil)) == [])  // no sentiment yet: no sentiment rule fires
        #expect(fired(Self.input(user: ["thanks"], sentiment: 0.7)) == ["happy"])
        #expect(fired(Self.input(user: ["thanks"], sentiment: 0.5)) == [])
    }

    @Test func allConditionsOfARuleMustHold() {
        #expect(fired(Self.input(user: ["great, thanks"], sentiment: 0.2)) == [])  // sentiment not above 0.5
        #expect(fired(Self.input(user: ["I was charged once"])) == [])           // "twice" missing
        #expect(fired(Self.input(user: ["I was charged", "no wait, twice"])) == ["twice"])  // across the window
    }

    @Test func priorityOrdersAndAtMostThreeShow() {
        let input = Self.input(user: ["charged twice, I want a refund, return it, my order"], sentiment: -0.8)
        #expect(fired(input, limit: 10) == ["angry", "twice", "refund", "return", "order"])
        #expect(fired(input) == ["angry", "twice", "refund"])
        #expect(fired(input, limit: 1) == ["angry"])
    }

    @Test func equalPrioritiesKeepFileOrder() throws {
        let rules = try NextBestActionRules.parse([
            "rules": [Self.rule("b", ["anyKeywords": ["x"]]), Self.rule("a", ["anyKeywords": ["x"]]), Self.rule("c", ["anyKeywords": ["x"]], priority: 1)],
        ])
        #expect(rules.evaluate(Self.input(user: ["x"]), limit: 3).map(\.id) == ["c", "b", "a"])
    }

    @Test func fromSelectsWhoseMessagesCount() {
        #expect(!fired(Self.input(user: ["was it refunded?"])).contains("agent-refund"))
        let actions = Self.sample.evaluate(Self.input(user: ["ok"], agent: ["I have refunded the order"]), limit: 3)
        #expect(actions.map(\.id) == ["agent-refund"])
        #expect(actions.first?.reason == "matched 'refunded' from the agent")
    }

    @Test func actionsCarryDetailAndTemplateWhenGiven() throws {
        let rules = try NextBestActionRules.parse([
            "rules": [["id": "r", "when": ["anyKeywords": ["x"]], "action": ["title": "T", "detail": "D", "template": "Hello"]]],
        ])
        let action = try #require(rules.evaluate(Self.input(user: ["x"]), limit: 3).first)
        #expect(action.json == ["id": "r", "title": "T", "detail": "D", "template": "Hello", "reason": "matched 'x'"])
        let bare = try #require(Self.sample.evaluate(Self.input(user: ["order"]), limit: 3).first)
        #expect(bare.json == ["id": "order", "title": "Do order", "reason": "matched 'order'"])
    }

    // MARK: parse errors

    @Test(arguments: [
        (JSONValue.string("x"), "", "must be an object, got string"),
        ([:], "rules", "is required"),
        (["rules": 5], "rules", "must be an array, got number"),
        (["rules": [], "extra": 1], "extra", "is not a known key (known: description, intents, rules)"),
        (["rules": [5]], "rules[0]", "must be an object, got number"),
        (["rules": [["when": ["anyKeywords": ["x"]], "action": ["title": "t"]]]], "rules[0].id", "is required"),
        (["rules": [["id": "", "when": ["anyKeywords": ["x"]], "action": ["title": "t"]]]], "rules[0].id", "must not be empty"),
        (["rules": [["id": "a", "action": ["title": "t"]]]], "rules[0].when", "is required"),
        (["rules": [["id": "a", "when": [:], "action": ["title": "t"]]]], "rules[0].when",
         "needs at least one of anyKeywords, allKeywords, intent, sentimentBelow, sentimentAbove"),
        (["rules": [["id": "a", "when": ["sentimentBellow": -0.4], "action": ["title": "t"]]]], "rules[0].when.sentimentBellow",
         "is not a known key (known: allKeywords, anyKeywords, from, intent, sentimentAbove, sentimentBelow)"),
        (["rules": [["id": "a", "when": ["sentimentBelow": 2], "action": ["title": "t"]]]], "rules[0].when.sentimentBelow",
         "must be a number between -1 and 1, got 2.0"),
        (["rules": [["id": "a", "when": ["sentimentBelow": -0.2, "sentimentAbove": 0.3], "action": ["title": "t"]]]],
         "rules[0].when.sentimentAbove", "must be less than sentimentBelow (-0.2), or the rule never fires"),
        (["rules": [["id": "a", "when": ["anyKeywords": []], "action": ["title": "t"]]]], "rules[0].when.anyKeywords",
         "must be a non-empty array of strings, got array"),
        (["rules": [["id": "a", "when": ["anyKeywords": "refund"], "action": ["title": "t"]]]], "rules[0].when.anyKeywords",
         "must be a non-empty array of strings, got string"),
        (["rules": [["id": "a", "when": ["allKeywords": ["ok", 3]], "action": ["title": "t"]]]], "rules[0].when.allKeywords[1]",
         "must be a string, got number"),
        (["rules": [["id": "a", "when": ["anyKeywords": ["!!!"]], "action": ["title": "t"]]]], "rules[0].when.anyKeywords[0]",
         "has no words to match"),
        (["rules": [["id": "a", "when": ["intent": "refund"], "action": ["title": "t"]]]], "rules[0].when.intent",
         "names no intent in 'intents' (known: none)"),
        (["rules": [["id": "a", "when": ["anyKeywords": ["x"], "from": "customer"], "action": ["title": "t"]]]], "rules[0].when.from",
         "must be one of user, agent, bot, system, any, got 'customer'"),
        (["rules": [["id": "a", "when": ["anyKeywords": ["x"]]]]], "rules[0].action", "is required"),
        (["rules": [["id": "a", "when": ["anyKeywords": ["x"]], "action": ["detail": "d"]]]], "rules[0].action.title", "is required"),
        (["rules": [["id": "a", "when": ["anyKeywords": ["x"]], "action": ["title": "t", "template": 1]]]], "rules[0].action.template",
         "must be a string, got number"),
        (["rules": [["id": "a", "when": ["anyKeywords": ["x"]], "action": ["title": "t"], "priority": "high"]]], "rules[0].priority",
         "must be a number, got string"),
        (["intents": [["name": "x"]], "rules": []], "intents[0].keywords", "is required"),
        (["intents": [["name": "x", "keywords": ["a"]], ["name": "x", "keywords": ["b"]]], "rules": []], "intents[1].name",
         "repeats the intent 'x'"),
        (["intents": 1, "rules": []], "intents", "must be an array, got number"),
    ] as [(JSONValue, String, String)])
    func parseErrorsNameThePath(json: JSONValue, path: String, problem: String) {
        #expect(throws: RulesError(path: path, problem: problem)) { try NextBestActionRules.parse(json) }
    }

    @Test func theErrorOfTheThirdRuleNamesIt() {
        let json: JSONValue = ["rules": [
            Self.rule("a", ["anyKeywords": ["x"]]),
            Self.rule("b", ["anyKeywords": ["y"]]),
            Self.rule("c", ["sentimentBelow": "very low"]),
        ]]
        do {
            _ = try NextBestActionRules.parse(json)
            Issue.record("expected an error")
        } catch {
            #expect(error.path == "rules[2].when.sentimentBelow")
            #expect(error.description == "rules error: 'rules[2].when.sentimentBelow' must be a number between -1 and 1, got string \"very low\"")
        }
    }

    @Test func duplicateRuleIds() {
        #expect(throws: RulesError(path: "rules[1].id", problem: "repeats the rule id 'a'")) {
            try NextBestActionRules.parse(["rules": [Self.rule("a", ["anyKeywords": ["x"]]), Self.rule("a", ["anyKeywords": ["y"]])]])
        }
    }

    @Test func invalidJSONText() {
        #expect(throws: RulesError(path: "", problem: "is not valid JSON: invalid JSON at byte 11: unexpected character")) {
            try NextBestActionRules.parse(text: #"{"rules": [}"#)
        }
        #expect(RulesError(path: "", problem: "x").description == "rules error: x")
    }

    @Test func anEmptyRulesFileIsValid() throws {
        let rules = try NextBestActionRules.parse(text: #"{"rules": []}"#)
        #expect(rules.rules.isEmpty)
        #expect(rules.evaluate(Self.input(user: ["anything"], sentiment: -1), limit: 3).isEmpty)
    }
}
