import Testing
import RelayJSON
@testable import CopilotAnalyzers

@Suite struct DefaultRulesTests {
    @Test func theDefaultIsTheExampleFile() throws {
        let file = try Repository.text("docs/examples/copilot-rules.json")
        #expect(try JSONValue.parse(file) == JSONValue.parse(defaultRulesJSON))
        #expect(try NextBestActionRules.parse(text: file) == NextBestActionRules.default)
    }

    @Test func theDefaultCoversTheCommonCases() {
        let ids = Set(NextBestActionRules.default.rules.map(\.id))
        #expect(ids.isSuperset(of: ["apologise", "offer-escalation", "refund-status", "start-return", "delivery-delay",
                                    "cancel-order", "password-reset", "billing-dispute"]))
        for rule in NextBestActionRules.default.rules {
            #expect(rule.action.template != nil, "\(rule.id) has a template")
        }
    }

    static func input(_ user: [String], sentiment: Double? = nil) -> RuleInput {
        let stems = user.map { Text.words($0).map { Text.stem($0.text) } }
        return RuleInput(recent: [.user: stems, .any: stems], sentiment: sentiment)
    }

    @Test(arguments: [
        ("I want my money back", "refund-status"),
        ("I'd like to return these shoes, wrong size", "start-return"),
        ("Where is my parcel? It's late", "delivery-delay"),
        ("please cancel it, I changed my mind", "cancel-order"),
        ("I forgot my password and can't log in", "password-reset"),
        ("I was charged twice for the same thing", "billing-dispute"),
        ("the lamp arrived broken", "damaged-item"),
        ("I moved house, can you change my address", "change-address"),
    ])
    func scenarios(text: String, expected: String) {
        let fired = NextBestActionRules.default.evaluate(Self.input([text]), limit: 3).map(\.id)
        #expect(fired.first == expected, "\(text): \(fired)")
    }

    @Test func anAngryCustomerGetsAnApologyThenEscalation() {
        let fired = NextBestActionRules.default.evaluate(Self.input(["my parcel is late"], sentiment: -0.7), limit: 3)
        #expect(fired.map(\.id) == ["apologise", "offer-escalation", "delivery-delay"])
        #expect(fired[0].template?.contains("sorry") == true)
        #expect(fired[1].reason == "sentiment -0.7 below -0.6")
    }
}
