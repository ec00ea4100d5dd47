import HTTPModel
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct GatewayRoutesTests {
    // MARK: auth and routing

    @Test func missingOrWrongApiKeyIs401() {
        var h = Harness()
        for headers in [[:], ["x-api-key": "wrong"]] as [[String: String]] {
            let response = h.request("POST", "/sim/chat-gateway/v1/conversations", json: createBody(), headers: headers)
            #expect(response.status == 401)
            #expect(response.contentType == "application/problem+json")
            #expect(response.jsonBody?["errors"]?.arrayValue?.isEmpty == false)
        }
        #expect(h.attempts.isEmpty)
    }

    @Test func tenantHeaderIsCheckedWhenConfigured() {
        var h = Harness(settings: makeSettings(tenant: "acme"))
        #expect(h.gw("POST", "/conversations", json: createBody()).status == 403)
        #expect(h.gw("POST", "/conversations", json: createBody(), headers: ["X-8x8-Tenant": "other"]).status == 403)
        #expect(h.gw("POST", "/conversations", json: createBody(), headers: ["X-8x8-Tenant": "acme"]).status == 202)
    }

    @Test func unknownRoutesAndMethods() {
        var h = Harness()
        #expect(h.gw("GET", "/nothing").status == 404)
        #expect(h.gw("DELETE", "/conversations").status == 405)
        #expect(h.gw("PUT", "/conversations/x/messages").status == 405)
        #expect(h.gw("GET", "/conversations/x/bogus").status == 404)
    }

    @Test func unknownConversationIs404Everywhere() {
        var h = Harness()
        let calls: [(String, String, JSONValue?)] = [
            ("GET", "/conversations/nope", nil),
            ("POST", "/conversations/nope/messages", ["authorType": "user", "text": "x"]),
            ("GET", "/conversations/nope/messages", nil),
            ("POST", "/conversations/nope/typing", ["authorType": "user"]),
            ("POST", "/conversations/nope/read-receipt", ["authorType": "user"]),
            ("PATCH", "/conversations/nope/participants/user", ["removed": true]),
            ("GET", "/conversations/nope/participants", nil),
        ]
        for (method, path, body) in calls {
            let response = h.gw(method, path, json: body)
            #expect(response.status == 404, "\(method) \(path)")
            #expect(response.problemCode == "CONVERSATION_NOT_FOUND")
        }
    }

    @Test func malformedJSONIs400() {
        var h = Harness()
        let id = h.create()
        for path in ["/conversations", "/conversations/\(id)/messages", "/conversations/\(id)/typing",
                     "/conversations/\(id)/read-receipt"] {
            #expect(h.gw("POST", path, raw: "{\"oops").problemCode == "MALFORMED_JSON", "\(path)")
        }
        #expect(h.gw("PATCH", "/conversations/\(id)/participants/user", raw: "[]").status == 400)
        #expect(h.gw("POST", "/conversations", json: createBody(channel: "nope")).status == 400)
    }

    @Test func unknownKeyIs404() {
        var h = Harness()
        #expect(h.gw("GET", "/jwk/key-1/public").status == 404)
    }

    // MARK: happy paths

    @Test func createAnswers202AndSendsCreatedThenQueued() throws {
        var h = Harness()
        let response = h.gw("POST", "/conversations", json: createBody(queue: "billing"))
        #expect(response.status == 202)
        #expect(response.contentType == "application/hal+json")
        let id = try #require(response.jsonBody?["conversationId"]?.stringValue)
        #expect(response.jsonBody?["createdAt"] == "2023-11-14T22:13:20.000Z")
        let events = h.drain()
        #expect(events.map(\.eventType) == ["CONVERSATION_UPDATE", "QUEUED"])
        #expect(events.allSatisfy { $0["conversationId"] == .string(id) })
        let update = try #require(events[0]["data"])
        #expect(update["state"] == "created")
        #expect(update["assignment"] == ["type": "queue", "id": "billing"])
        #expect(update["user"]?["name"] == "Ada")
        #expect(update["channel"]?["id"] == "demo-channel")
        #expect(events[1]["data"] == ["queueId": "billing", "queueName": "Billing"])
    }

    @Test func readConversation() throws {
        var h = Harness()
        let id = h.create()
        let response = h.gw("GET", "/conversations/\(id)")
        #expect(response.status == 200)
        #expect(response.contentType == "application/hal+json")
        let body = try #require(response.jsonBody)
        #expect(body["id"] == .string(id))
        #expect(body["channelId"] == "demo-channel")
        #expect(body["state"] == "created")
        #expect(body["assignment"] == ["type": "queue", "id": "support"])
        #expect(body["user"]?["additionalProperties"]?.arrayValue?.count == 1)
    }

    @Test func postedMessagesAreEchoed() throws {
        var h = Harness()
        let id = h.create()
        let response = h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "hello"])
        #expect(response.status == 202)
        let messageId = try #require(response.jsonBody?["messageId"]?.stringValue)
        h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "bot", "text": "beep"])
        let events = h.drain()
        #expect(events.map(\.eventType) == ["MESSAGE", "MESSAGE"])
        #expect(events[0]["data"] == ["messageId": .string(messageId), "isEcho": true, "sender": ["id": "u-1", "type": "user"],
                                      "text": "hello", "attachments": [], "cards": []])
        #expect(events[1]["data"]?["sender"] == ["id": "bot", "type": "bot"])
        #expect(events[1]["data"]?["isEcho"] == true)
    }

    @Test func listMessagesPages() throws {
        var h = Harness()
        let id = h.create()
        for n in 0..<25 { h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": .string("m\(n)")]) }
        let first = try #require(h.gw("GET", "/conversations/\(id)/messages").jsonBody)
        let messages = try #require(first["_embedded"]?["messages"]?.arrayValue)
        #expect(messages.count == 20)
        #expect(messages[0]["text"] == "m0")
        #expect(messages[0]["author"] == ["id": "u-1", "type": "user"])
        #expect(first["page"]?["totalElements"] == 25)
        #expect(first["page"]?["totalPages"] == 2)
        let second = h.gw("GET", "/conversations/\(id)/messages", query: ["page": "1", "size": "20"]).jsonBody
        #expect(second?["_embedded"]?["messages"]?.arrayValue?.count == 5)
        let beyond = h.gw("GET", "/conversations/\(id)/messages", query: ["page": "999999999999", "size": "-3"]).jsonBody
        #expect(beyond?["_embedded"]?["messages"] == [])
    }

    @Test func userTypingShowsThenExpires() throws {
        var h = Harness()
        let id = h.create()
        #expect(h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "user"]).status == 204)
        #expect(h.inFlight.isEmpty)  // typing is not echoed as a webhook
        #expect(h.agentView(id)["userTyping"] == true)
        h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "user"])
        #expect(h.scheduled.map(\.afterMs) == [5000, 5000])
        h.fireTimer(h.scheduled[0].id)  // superseded by the second signal
        #expect(h.agentView(id)["userTyping"] == true)
        h.fireTimer(h.scheduled[1].id)
        #expect(h.agentView(id)["userTyping"] == false)
        #expect(h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "robot"]).status == 400)
    }

    @Test func userMessageClearsTyping() {
        var h = Harness()
        let id = h.create()
        h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "user"])
        h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "done"])
        #expect(h.agentView(id)["userTyping"] == false)
    }

    @Test func readReceipt() {
        var h = Harness()
        let id = h.create()
        #expect(h.gw("POST", "/conversations/\(id)/read-receipt", json: ["authorType": "user", "readAt": 123]).status == 204)
        #expect(h.agentView(id)["userReadAt"] == 123)
        #expect(h.gw("POST", "/conversations/\(id)/read-receipt", json: ["authorType": "user", "readAt": "soon"]).status == 400)
        #expect(h.gw("POST", "/conversations/\(id)/read-receipt", json: [:]).status == 400)
    }

    @Test func removingTheUserEndsTheConversation() throws {
        var h = Harness()
        let id = h.active()
        #expect(h.gw("PATCH", "/conversations/\(id)/participants/user", json: ["removed": false]).status == 400)
        #expect(h.gw("PATCH", "/conversations/\(id)/participants/user", json: ["removed": true]).status == 204)
        let events = h.drain()
        #expect(events.map(\.eventType) == ["MEMBERS_CHANGED"])
        #expect(events[0]["data"] == ["memberType": "user", "change": "left"])
        let conversation = h.agentView(id)
        #expect(conversation["state"] == "ended")
        #expect(conversation["endedBy"] == "user")
        #expect(h.gw("GET", "/conversations/\(id)").jsonBody?["state"] == "idle")
        // Idempotent, and the conversation refuses further traffic.
        #expect(h.gw("PATCH", "/conversations/\(id)/participants/user", json: ["removed": true]).status == 204)
        #expect(h.inFlight.isEmpty)
        #expect(h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "x"]).status == 409)
        #expect(h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "user"]).status == 409)
    }

    @Test func participants() throws {
        var h = Harness()
        let id = h.active(agentId: "agent-9")
        let response = h.gw("GET", "/conversations/\(id)/participants")
        #expect(response.status == 200)
        let list = try #require(response.jsonBody?["_embedded"]?["participants"]?.arrayValue)
        #expect(list.map { $0["id"] } == ["u-1", "agent-9"])
    }

    @Test func callsAreCountedByTemplate() {
        var h = Harness()
        let id = h.create()
        h.gw("GET", "/conversations/\(id)")
        h.gw("GET", "/conversations/other")
        h.request("GET", "/sim/chat-gateway/v1/conversations/\(id)")  // unauthorized still counts
        let calls = h.request("GET", "/sim/admin/stats").jsonBody?["calls"]
        #expect(calls?["POST /conversations"] == 1)
        #expect(calls?["GET /conversations/{id}"] == 3)
    }
}
