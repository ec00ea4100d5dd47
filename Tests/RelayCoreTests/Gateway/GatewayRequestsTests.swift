import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct GatewayRequestsTests {
    let requests = GatewayRequests(provider: GatewayProvider(name: "default", baseURL: HTTPURL("http://127.0.0.1:8080/sim")!,
                                                             apiKey: "super-secret-key", timeoutMs: 7_000))

    private func create(settings: HandoverSettings = HandoverSettings(provider: "default", channelID: "chan-1", queueID: "queue-9"),
                        user: UserInfo = UserInfo(), transcript: [SessionEvent.Message] = [],
                        additional: [(String, String)] = [("copilotUrl", "https://relay.test/copilot/?sessionId=s1")]) -> OutboundRequest {
        requests.createConversation(settings: settings, user: user, sessionID: SessionID("s1"), transcript: transcript,
                                    additionalProperties: additional)
    }

    // MARK: URL and headers

    @Test func urlKeepsTheBaseURLPathPrefix() {
        let request = create()
        #expect(request.method == "POST")
        #expect(request.url.path == "/sim/chat-gateway/v1/conversations")
        #expect(request.url.host == "127.0.0.1")
        #expect(request.url.port == 8080)
        #expect(!request.url.secure)
        #expect(request.url.description == "http://127.0.0.1:8080/sim/chat-gateway/v1/conversations")
    }

    @Test(arguments: ["https://api.8x8.com", "https://api.8x8.com/", "https://api.8x8.com//"])
    func urlWithoutPrefix(base: String) {
        let r = GatewayRequests(provider: GatewayProvider(name: "p", baseURL: HTTPURL(base)!, apiKey: "k"))
        #expect(r.sendMessage(conversationID: "c", text: "t").url.description == "https://api.8x8.com/chat-gateway/v1/conversations/c/messages")
    }

    @Test func headersWithoutTenant() {
        let request = create()
        #expect(request.headers == [
            "x-api-key": "super-secret-key",
            "content-type": "application/json",
            "accept": "application/hal+json, application/json",
        ])
        #expect(request.timeoutMs == 7_000)
    }

    @Test func tenantHeaderOnlyWhenSet() {
        let withTenant = GatewayRequests(provider: GatewayProvider(name: "p", baseURL: HTTPURL("https://api.8x8.com")!, apiKey: "k", tenant: "acme"))
        for request in [withTenant.createConversation(settings: testHandover, user: UserInfo(), sessionID: SessionID("s"), transcript: [], additionalProperties: []),
                        withTenant.sendMessage(conversationID: "c", text: "t"), withTenant.typing(conversationID: "c"),
                        withTenant.removeUser(conversationID: "c")] {
            #expect(request.headers["x-8x8-tenant"] == "acme")
            #expect(request.headers["x-api-key"] == "k")
            #expect(request.headers["content-type"] == "application/json")
        }
        for request in [requests.sendMessage(conversationID: "c", text: "t"), requests.typing(conversationID: "c"), requests.removeUser(conversationID: "c")] {
            #expect(request.headers["x-8x8-tenant"] == nil)
            #expect(request.headers.keys.sorted() == ["accept", "content-type", "x-api-key"])
        }
    }

    @Test func logDescriptionNeverContainsTheAPIKey() {
        let all = [create(), requests.sendMessage(conversationID: "c1", text: "super-secret-key?"),
                   requests.typing(conversationID: "c1"), requests.removeUser(conversationID: "c1")]
        #expect(all.map(\.logDescription) == [
            "POST http://127.0.0.1:8080/sim/chat-gateway/v1/conversations",
            "POST http://127.0.0.1:8080/sim/chat-gateway/v1/conversations/c1/messages",
            "POST http://127.0.0.1:8080/sim/chat-gateway/v1/conversations/c1/typing",
            "PATCH http://127.0.0.1:8080/sim/chat-gateway/v1/conversations/c1/participants/user",
        ])
        for request in all { #expect(!request.logDescription.contains("super-secret-key")) }
    }

    // MARK: create body

    @Test func createBodyWithDefaults() throws {
        let body = try #require(create().jsonBody)
        #expect(body == [
            "channelId": "chan-1",
            "user": [
                "name": "Guest", "userId": "s1", "language": "en",
                "additionalProperties": [["key": "copilotUrl", "value": "https://relay.test/copilot/?sessionId=s1"]],
            ],
            "assignment": ["type": "queue", "id": "queue-9"],
            "history": ["messages": []],
        ])
    }

    @Test func createBodyWithEveryUserField() throws {
        let user = UserInfo(name: "Ada", email: "ada@example.com", phone: "+44 20", company: "ACME", language: "fr", userId: "crm-7")
        let body = try #require(create(user: user, additional: [("copilotUrl", "u"), ("relaySessionId", "s1")]).jsonBody)
        #expect(body["user"] == [
            "name": "Ada", "userId": "crm-7", "language": "fr", "email": "ada@example.com", "phone": "+44 20", "company": "ACME",
            "additionalProperties": [["key": "copilotUrl", "value": "u"], ["key": "relaySessionId", "value": "s1"]],
        ])
    }

    @Test func historyKeepsOnlyUserAndBotAuthorsInOrder() throws {
        let transcript: [SessionEvent.Message] = [
            .init(from: .bot, text: "Hi!"),
            .init(from: .user, text: "where is my order", clientID: "m1"),
            .init(from: .system, text: "system note"),
            .init(from: .agent, text: "earlier agent", agentID: "ag"),
            .init(from: .bot, text: "Connecting you"),
        ]
        let body = try #require(create(transcript: transcript).jsonBody)
        #expect(body["history"] == ["messages": [
            ["authorType": "bot", "text": "Hi!"],
            ["authorType": "user", "text": "where is my order"],
            ["authorType": "bot", "text": "Connecting you"],
        ]])
    }

    @Test func historyIsCappedAt200MostRecent() throws {
        let transcript = (1...250).map { SessionEvent.Message(from: $0.isMultiple(of: 2) ? .bot : .user, text: "m\($0)") }
        let messages = try #require(create(transcript: transcript).jsonBody?["history"]?["messages"]?.arrayValue)
        #expect(messages.count == 200)
        #expect(messages.first?["text"] == "m51")
        #expect(messages.last?["text"] == "m250")
        #expect(GatewayRequests.maxHistory == 200)
    }

    @Test func historyCapCountsOnlyKeptAuthors() throws {
        // 200 user messages followed by system chatter: all 200 survive.
        let transcript = (1...200).map { SessionEvent.Message(from: .user, text: "u\($0)") }
            + (1...50).map { SessionEvent.Message(from: .system, text: "s\($0)") }
        let messages = try #require(create(transcript: transcript).jsonBody?["history"]?["messages"]?.arrayValue)
        #expect(messages.count == 200)
        #expect(messages.first?["text"] == "u1")
    }

    @Test func propertiesDeepMergeWithArraysAppended() throws {
        let settings = HandoverSettings(provider: "default", channelID: "chan-1", queueID: "queue-9", properties: [
            "user": ["company": "Configured Co", "additionalProperties": [["key": "crmId", "value": "42"]]],
            "assignment": ["type": "script", "id": "script-1"],
            "history": ["messages": [["authorType": "bot", "text": "configured"]]],
            "custom": ["x": true],
        ])
        let body = try #require(create(settings: settings, transcript: [.init(from: .user, text: "hi")]).jsonBody)
        #expect(body == [
            "channelId": "chan-1",
            "user": [
                "name": "Guest", "userId": "s1", "language": "en", "company": "Configured Co",
                "additionalProperties": [
                    ["key": "copilotUrl", "value": "https://relay.test/copilot/?sessionId=s1"],
                    ["key": "crmId", "value": "42"],
                ],
            ],
            "assignment": ["type": "script", "id": "script-1"],
            "history": ["messages": [["authorType": "user", "text": "hi"], ["authorType": "bot", "text": "configured"]]],
            "custom": ["x": true],
        ])
    }

    @Test func additionalPropertiesAreCappedAt30KeepingTheRelaysFirst() throws {
        let configured: [JSONValue] = (1...40).map { ["key": .string("p\($0)"), "value": "v"] }
        let settings = HandoverSettings(provider: "default", channelID: "c", queueID: "q",
                                        properties: ["user": ["additionalProperties": .array(configured)]])
        let props = try #require(create(settings: settings, additional: [("copilotUrl", "u"), ("relaySessionId", "s1")])
            .jsonBody?["user"]?["additionalProperties"]?.arrayValue)
        #expect(props.count == 30)
        #expect(props[0] == ["key": "copilotUrl", "value": "u"])
        #expect(props[1] == ["key": "relaySessionId", "value": "s1"])
        #expect(props[29] == ["key": "p28", "value": "v"])
        #expect(GatewayRequests.maxAdditionalProperties == 30)
    }

    @Test func exactly30AdditionalPropertiesAreKept() throws {
        let own = (1...30).map { ("k\($0)", "v") }
        let props = try #require(create(additional: own).jsonBody?["user"]?["additionalProperties"]?.arrayValue)
        #expect(props.count == 30)
    }

    @Test func capLeavesOtherBodiesAlone() {
        let bodies: [JSONValue] = [["user": "not an object"], ["user": ["additionalProperties": "x"]], [1, 2], ["channelId": "c"]]
        for body in bodies { #expect(GatewayRequests.capAdditionalProperties(body) == body) }
    }

    // MARK: the other calls

    @Test func sendMessage() {
        let request = requests.sendMessage(conversationID: "conv-1", text: "Hello \"agent\" 😀")
        #expect(request.method == "POST")
        #expect(request.url.path == "/sim/chat-gateway/v1/conversations/conv-1/messages")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"authorType":"user","text":"Hello \"agent\" 😀"}"#)
    }

    @Test func typing() {
        let request = requests.typing(conversationID: "conv-1")
        #expect(request.method == "POST")
        #expect(request.url.path == "/sim/chat-gateway/v1/conversations/conv-1/typing")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"authorType":"user"}"#)
    }

    @Test func removeUser() {
        let request = requests.removeUser(conversationID: "conv-1")
        #expect(request.method == "PATCH")
        #expect(request.url.path == "/sim/chat-gateway/v1/conversations/conv-1/participants/user")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"removed":true}"#)
    }

    @Test(arguments: [
        ("a/b", "a%2Fb"),
        ("x y", "x%20y"),
        ("../admin", "..%2Fadmin"),
        ("id?q=1#f", "id%3Fq%3D1%23f"),
        ("é", "%C3%A9"),
        ("Safe-._~09AZaz", "Safe-._~09AZaz"),
    ])
    func conversationIDsArePercentEncoded(id: String, encoded: String) {
        #expect(requests.sendMessage(conversationID: id, text: "t").url.path == "/sim/chat-gateway/v1/conversations/\(encoded)/messages")
        #expect(requests.typing(conversationID: id).url.path == "/sim/chat-gateway/v1/conversations/\(encoded)/typing")
        #expect(requests.removeUser(conversationID: id).url.path == "/sim/chat-gateway/v1/conversations/\(encoded)/participants/user")
    }
}
