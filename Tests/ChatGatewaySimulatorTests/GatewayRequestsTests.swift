import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct GatewayRequestsTests {
    let settings = makeSettings()

    func codes(_ body: JSONValue) -> [String] {
        do {
            _ = try CreateConversationRequest(body: body.objectValue ?? [:], settings: settings)
            return []
        } catch {
            return error.errors.map(\.code)
        }
    }

    @Test func validBodyDefaultsQueueAndLanguage() throws {
        let input = try CreateConversationRequest(body: createBody().objectValue!, settings: settings)
        #expect(input.channelId == "demo-channel")
        #expect(input.queue.id == "support")
        #expect(input.user["language"] == "en")
        #expect(input.history.count == 2)
        let billing = try CreateConversationRequest(body: createBody(queue: "billing").objectValue!, settings: settings)
        #expect(billing.queue.name == "Billing")
    }

    @Test func channelAndUserAreRequired() {
        #expect(codes([:]) == ["REQUIRED", "REQUIRED"])
        #expect(codes(createBody(channel: "other")) == ["UNKNOWN_CHANNEL"])
        #expect(codes(createBody(extra: ["user": "ada"])) == ["INVALID_TYPE"])
        #expect(codes(createBody(extra: ["user": ["email": 5]])) == ["INVALID_TYPE"])
    }

    @Test func assignmentMustBeAKnownQueue() {
        #expect(codes(createBody(queue: "nope")) == ["UNKNOWN_QUEUE"])
        #expect(codes(createBody(extra: ["assignment": ["type": "script", "id": "s"]])).contains("UNSUPPORTED_ASSIGNMENT"))
        #expect(codes(createBody(extra: ["assignment": ["type": "queue"]])) == [])
    }

    @Test func historyLimitIs200() {
        let message: JSONValue = ["authorType": "bot", "text": "x"]
        #expect(codes(createBody(extra: ["history": ["messages": .array(Array(repeating: message, count: 200))]])) == [])
        #expect(codes(createBody(extra: ["history": ["messages": .array(Array(repeating: message, count: 201))]])) == ["TOO_MANY_ITEMS"])
        #expect(codes(createBody(extra: ["history": ["messages": [["authorType": "agent", "text": "x"]]]])) == ["INVALID_VALUE"])
        #expect(codes(createBody(extra: ["history": ["messages": [5]]])) == ["INVALID_TYPE"])
        #expect(codes(createBody(extra: ["history": ["messages": [["text": "x"]]]])) == ["REQUIRED"])
    }

    @Test func additionalPropertiesLimitIs30() {
        func user(_ count: Int) -> JSONValue {
            ["additionalProperties": .array((0..<count).map { ["key": .string("k\($0)"), "value": "v"] })]
        }
        #expect(codes(createBody(extra: ["user": user(30)])) == [])
        #expect(codes(createBody(extra: ["user": user(31)])) == ["TOO_MANY_ITEMS"])
        #expect(codes(createBody(extra: ["user": ["additionalProperties": [["key": "", "value": "v"]]]])) == ["REQUIRED"])
        #expect(codes(createBody(extra: ["user": ["additionalProperties": [["key": "k", "value": 1]]]])) == ["INVALID_TYPE"])
        #expect(codes(createBody(extra: ["user": ["additionalProperties": ["k"]]])) == ["INVALID_TYPE"])
    }

    @Test func postMessageValidation() throws {
        let ok = try PostMessageRequest(body: ["authorType": "bot", "text": "hi"])
        #expect(ok.authorType == "bot" && ok.text == "hi")
        #expect(throws: Problem.self) { try PostMessageRequest(body: ["text": "hi"]) }
        #expect(throws: Problem.self) { try PostMessageRequest(body: ["authorType": "agent", "text": "hi"]) }
        #expect(throws: Problem.self) { try PostMessageRequest(body: ["authorType": "user"]) }
        #expect(throws: Problem.self) { try PostMessageRequest(body: ["authorType": "user", "text": 3]) }
        let card = try PostMessageRequest(body: ["authorType": "user", "cards": [["contentType": "x"]]])
        #expect(card.cards.count == 1)
    }

    @Test func authorTypeForTypingAndReceipts() throws {
        #expect(try requireAuthorType(["authorType": "user"]) == "user")
        #expect(throws: Problem.self) { try requireAuthorType([:]) }
        #expect(throws: Problem.self) { try requireAuthorType(["authorType": "agent"]) }
    }
}
