import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RuleBotScriptTests {
    @Test func emptyObjectIsTheDefault() throws {
        #expect(try RuleBotScript.parse([:]) == .default)
    }

    @Test func defaultScriptIsUsable() {
        let d = RuleBotScript.default
        #expect(d.greeting.contains("{name}"))
        #expect(d.afterFailure.contains("{reason}"))
        #expect(d.handoverKeywords.contains("agent"))
        #expect(d.handoverKeywords.contains("real person"))
        #expect(d.faqs.count == 5)
        #expect(d.faqs.allSatisfy { !$0.keywords.isEmpty && !$0.answer.isEmpty })
    }

    @Test func everyKeyIsRead() throws {
        let script = try RuleBotScript.parse([
            "greeting": "Hey {name}", "handoverKeywords": ["human"], "handoverReply": "OK", "fallback": "Eh?",
            "afterAgent": "A", "afterCancel": "C", "afterFailure": "F {reason}",
            "faqs": [["keywords": ["price"], "answer": "Cheap."]],
        ])
        #expect(script == RuleBotScript(greeting: "Hey {name}", handoverKeywords: ["human"], handoverReply: "OK", fallback: "Eh?",
                                        faqs: [.init(keywords: ["price"], answer: "Cheap.")],
                                        afterAgent: "A", afterCancel: "C", afterFailure: "F {reason}"))
    }

    @Test func missingKeysKeepTheDefaultText() throws {
        let script = try RuleBotScript.parse(["greeting": "Yo", "faqs": []])
        #expect(script.greeting == "Yo")
        #expect(script.faqs == [])
        #expect(script.fallback == RuleBotScript.default.fallback)
        #expect(script.handoverKeywords == RuleBotScript.default.handoverKeywords)
    }

    @Test func nullCountsAsMissingForTexts() throws {
        #expect(try RuleBotScript.parse(["greeting": nil, "handoverKeywords": nil]) == .default)
    }

    @Test(arguments: [
        (["greeting": 1] as JSONValue, "greeting", "must be a string, got number"),
        (["handoverReply": true], "handoverReply", "must be a string, got boolean"),
        (["fallback": []], "fallback", "must be a string, got array"),
        (["afterAgent": [:]], "afterAgent", "must be a string, got object"),
        (["afterCancel": 2], "afterCancel", "must be a string, got number"),
        (["afterFailure": 3], "afterFailure", "must be a string, got number"),
        (["handoverKeywords": "agent"], "handoverKeywords", "must be an array of strings"),
        (["handoverKeywords": ["agent", 5]], "handoverKeywords[1]", "must be a string, got number"),
        (["faqs": "none"], "faqs", "must be an array"),
        (["faqs": [["answer": "a"]]], "faqs[0].keywords", "must be a non-empty array of strings"),
        (["faqs": [["keywords": [], "answer": "a"]]], "faqs[0].keywords", "must be a non-empty array of strings"),
        (["faqs": [["keywords": ["k"], "answer": "a"], ["keywords": ["k", 1], "answer": "b"]]], "faqs[1].keywords[1]", "must be a string, got number"),
        (["faqs": [["keywords": ["k"]]]], "faqs[0].answer", "is required"),
        (["faqs": [["keywords": ["k"], "answer": 9]]], "faqs[0].answer", "must be a string, got number"),
        (["faqs": ["just a string"]], "faqs[0].keywords", "must be a non-empty array of strings"),
    ] as [(JSONValue, String, String)])
    func errorsNameTheKey(json: JSONValue, key: String, problem: String) {
        let error = #expect(throws: ConfigError.self) { try RuleBotScript.parse(json) }
        #expect(error == ConfigError(key: key, problem: problem))
    }

    @Test(arguments: ["[]", "\"script\"", "null"])
    func scriptMustBeAnObject(text: String) throws {
        let json = try JSONValue.parse(text)
        let error = #expect(throws: ConfigError.self) { try RuleBotScript.parse(json) }
        #expect(error == ConfigError(key: "bot script", problem: "must be a JSON object"))
        #expect(error?.description == "configuration error: 'bot script' must be a JSON object")
    }
}
