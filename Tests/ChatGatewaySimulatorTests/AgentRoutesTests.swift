import HTTPModel
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct AgentRoutesTests {
    @Test func stateListsQueuesAndFullConversations() throws {
        var h = Harness()
        let id = h.create()
        let response = h.request("GET", "/sim/agent/state")
        #expect(response.status == 200)
        let body = try #require(response.jsonBody)
        #expect(body["queues"]?.arrayValue?.count == 2)
        let conversation = try #require(body["conversations"]?.arrayValue?.first)
        #expect(conversation["id"] == .string(id))
        #expect(conversation["state"] == "queued")
        #expect(conversation["queueName"] == "Support")
        #expect(conversation["user"]?["additionalProperties"] == [["key": "copilotUrl", "value": "https://copilot.test/?s=1"]])
        #expect(conversation["history"]?.arrayValue?.count == 2)
        #expect(conversation["messages"] == [])
    }

    @Test func acceptSendsJoinedThenActive() throws {
        var h = Harness()
        let id = h.create()
        let response = h.agent("/conversations/\(id)/accept", json: ["agentId": "agent-7"])
        #expect(response.status == 200)
        #expect(response.jsonBody?["state"] == "active")
        #expect(response.jsonBody?["agentId"] == "agent-7")
        let events = h.drain()
        #expect(events.map(\.eventType) == ["MEMBERS_CHANGED", "CONVERSATION_UPDATE"])
        #expect(events[0]["data"] == ["memberType": "agent", "change": "joined", "id": "agent-7"])
        #expect(events[1]["data"]?["state"] == "active")
        #expect(events[1]["data"]?["assignment"] == ["type": "agent", "id": "agent-7"])
        #expect(h.gw("GET", "/conversations/\(id)").jsonBody?["state"] == "active")
    }

    @Test func acceptDefaultsAgentAndRejectsTwice() {
        var h = Harness()
        let id = h.create()
        #expect(h.agent("/conversations/\(id)/accept").jsonBody?["agentId"] == "agent-1")
        let again = h.agent("/conversations/\(id)/accept")
        #expect(again.status == 409)
        #expect(again.contentType == "application/problem+json")
        #expect(h.agent("/conversations/\(h.create())/accept", json: ["agentId": 5]).status == 400)
        #expect(h.agent("/conversations/\(id)/accept", raw: "{x").status == 400)
    }

    @Test func agentMessageIsNotAnEcho() throws {
        var h = Harness()
        let id = h.active()
        let response = h.agent("/conversations/\(id)/messages", json: ["text": "How can I help?"])
        #expect(response.jsonBody?["messages"]?.arrayValue?.last?["authorType"] == "agent")
        let events = h.drain()
        #expect(events.map(\.eventType) == ["MESSAGE"])
        let data = try #require(events[0]["data"])
        #expect(data["isEcho"] == false)
        #expect(data["sender"] == ["id": "agent-7", "type": "agent"])
        #expect(data["text"] == "How can I help?")
        #expect(data["attachments"] == [] && data["cards"] == [])
        #expect(h.agent("/conversations/\(id)/messages", json: ["text": ""]).status == 400)
        #expect(h.agent("/conversations/\(id)/messages", json: [:]).status == 400)
        #expect(h.agent("/conversations/\(h.create())/messages", json: ["text": "x"]).status == 409)
    }

    @Test func agentTypingOnlyOnChange() {
        var h = Harness()
        let id = h.active()
        h.agent("/conversations/\(id)/typing", json: ["active": true])
        h.agent("/conversations/\(id)/typing", json: ["active": true])
        h.agent("/conversations/\(id)/typing", json: ["active": false])
        let events = h.drain()
        #expect(events.map(\.eventType) == ["ACTIVITY", "ACTIVITY"])
        #expect(events[0]["data"] == ["name": "typing", "value": ["users": [["id": "agent-7", "type": "agent"]]]])
        #expect(events[1]["data"] == ["name": "typing", "value": ["users": []]])
        #expect(h.agent("/conversations/\(id)/typing", json: ["active": "yes"]).status == 400)
    }

    @Test func transferSendsTransferLeftQueued() throws {
        var h = Harness()
        let id = h.active()
        let response = h.agent("/conversations/\(id)/transfer", json: ["queueId": "billing"])
        #expect(response.status == 200)
        #expect(response.jsonBody?["state"] == "queued")
        #expect(response.jsonBody?["queueId"] == "billing")
        #expect(response.jsonBody?["agentId"] == .null)
        let events = h.drain()
        #expect(events.map(\.eventType) == ["TRANSFER", "MEMBERS_CHANGED", "QUEUED"])
        #expect(events[0]["data"] == [:])
        #expect(events[1]["data"] == ["memberType": "agent", "change": "left", "id": "agent-7"])
        #expect(events[2]["data"] == ["queueId": "billing", "queueName": "Billing"])
        // A second agent picks it up from the new queue.
        h.agent("/conversations/\(id)/accept", json: ["agentId": "agent-8"])
        #expect(h.drain().map(\.eventType) == ["MEMBERS_CHANGED", "CONVERSATION_UPDATE"])
    }

    @Test func transferErrors() {
        var h = Harness()
        let id = h.active()
        #expect(h.agent("/conversations/\(id)/transfer", json: ["queueId": "nope"]).status == 400)
        #expect(h.agent("/conversations/\(id)/transfer", json: [:]).status == 400)
        #expect(h.agent("/conversations/\(h.create())/transfer", json: ["queueId": "billing"]).status == 409)
        #expect(h.inFlight.isEmpty)
    }

    @Test func closeSendsAgentLeftWithoutTransfer() {
        var h = Harness()
        let id = h.active()
        let response = h.agent("/conversations/\(id)/close")
        #expect(response.jsonBody?["state"] == "ended")
        #expect(response.jsonBody?["endedBy"] == "agent")
        let events = h.drain()
        #expect(events.map(\.eventType) == ["MEMBERS_CHANGED"])
        #expect(events[0]["data"] == ["memberType": "agent", "change": "left", "id": "agent-7"])
        #expect(h.agent("/conversations/\(id)/close").status == 409)
        #expect(h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "x"]).status == 409)
    }

    @Test func unknownConversationAndRoutes() {
        var h = Harness()
        for action in ["accept", "messages", "typing", "transfer", "close"] {
            #expect(h.agent("/conversations/nope/\(action)", json: [:]).status == 404)
        }
        #expect(h.request("GET", "/sim/agent/conversations/nope").status == 404)
        #expect(h.agent("/conversations/nope/dance").status == 404)
        #expect(h.agent("/conversations/\(h.create())/accept", method: "GET").status == 405)
        #expect(h.agent("/state").status == 405)
        #expect(h.agent("/whatever").status == 404)
    }

    @Test func noApiKeyNeeded() {
        var h = Harness()
        #expect(h.request("GET", "/sim/agent/state").status == 200)
    }
}
