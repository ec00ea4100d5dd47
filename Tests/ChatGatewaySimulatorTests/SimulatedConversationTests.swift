import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct SimulatedConversationTests {
    func sample() -> SimulatedConversation {
        SimulatedConversation(id: "c1", channelId: "demo-channel", createdAtMs: t0,
                              queue: SimulatedQueue(id: "support", name: "Support"),
                              user: ["name": "Ada", "userId": "u-1"], history: [["authorType": "bot", "text": "hi"]])
    }

    @Test func gatewayStateFollowsLifecycle() {
        var conversation = sample()
        #expect(conversation.gatewayState == "created")
        conversation.state = .active
        conversation.everActive = true
        #expect(conversation.gatewayState == "active")
        conversation.state = .queued  // transferred: still an ongoing interaction
        #expect(conversation.gatewayState == "active")
        conversation.state = .ended
        #expect(conversation.gatewayState == "idle")
    }

    @Test func assignmentIsAgentOnlyWhileActive() {
        var conversation = sample()
        #expect(conversation.assignmentJSON == ["type": "queue", "id": "support"])
        conversation.state = .active
        conversation.agentId = "a"
        #expect(conversation.assignmentJSON == ["type": "agent", "id": "a"])
    }

    @Test func agentJSONHasTheConsoleFields() throws {
        var conversation = sample()
        conversation.messages.append(.init(id: "m1", authorType: "user", authorId: "u-1", text: "yo",
                                           createdAtMs: t0, attachments: [], cards: []))
        let json = conversation.agentJSON
        for key in ["id", "channelId", "state", "queueId", "queueName", "agentId", "user", "history",
                    "messages", "userTyping", "endedBy"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["state"] == "queued")
        #expect(json["agentId"] == .null)
        #expect(json["messages"] == [["id": "m1", "authorType": "user", "text": "yo", "createdAt": JSONValue(t0)]])
    }

    @Test func gatewayJSONAndMessages() {
        let conversation = sample()
        let json = conversation.gatewayJSON(selfHref: "/x")
        #expect(json["state"] == "created")
        #expect(json["createdAt"] == "2023-11-14T22:13:20.000Z")
        #expect(json["_links"]?["self"]?["href"] == "/x")
        let message = SimulatedConversation.Message(id: "m", authorType: "agent", authorId: "a", text: "t",
                                                    createdAtMs: 0, attachments: [], cards: [])
        #expect(SimulatedConversation.gatewayMessageJSON(message)["author"] == ["id": "a", "type": "agent"])
    }

    @Test func participantsAndUserIdFallback() {
        var conversation = sample()
        #expect(conversation.userParticipantId == "u-1")
        conversation.user = [:]
        #expect(conversation.userParticipantId == "c1")
        conversation.state = .active
        conversation.agentId = "a"
        let list = conversation.participantsJSON["_embedded"]?["participants"]?.arrayValue ?? []
        #expect(list.map { $0["type"] } == ["user", "agent"])
    }
}
