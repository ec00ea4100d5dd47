import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct ConsoleMessagesTests {
    @Test func openingPushesASnapshotToThatConsole() throws {
        var h = Harness()
        let id = h.create()
        let effects = h.sim.consoleOpened(42)
        #expect(effects.count == 1)
        guard case .pushToConsole(42, let text) = effects[0] else { Issue.record("expected a push to 42"); return }
        let frame = try JSONValue.parse(text)
        #expect(frame["type"] == "snapshot")
        #expect(frame["queues"] == [["id": "support", "name": "Support"], ["id": "billing", "name": "Billing"]])
        #expect(frame["conversations"]?.arrayValue?.map { $0["id"] } == [.string(id)])
    }

    @Test func changesArePushedToAllConsolesOnlyWhileSomeAreOpen() {
        var h = Harness()
        _ = h.create()
        #expect(h.frames.isEmpty)
        h.absorb(h.sim.consoleOpened(1))
        h.absorb(h.sim.consoleOpened(2))
        let id = h.create()
        let pushes = h.frames.filter { $0.console == nil }.map(\.json)
        #expect(pushes.count == 1)
        #expect(pushes[0]["type"] == "conversation")
        #expect(pushes[0]["conversation"]?["id"] == .string(id))
        #expect(pushes[0]["conversation"]?["state"] == "queued")
        h.sim.consoleClosed(1)
        h.sim.consoleClosed(2)
        h.frames.removeAll()
        h.agent("/conversations/\(id)/accept")
        #expect(h.frames.isEmpty)
    }

    @Test func everyAgentActionPushesTheConversation() {
        var h = Harness()
        h.absorb(h.sim.consoleOpened(1))
        let id = h.active()
        h.frames.removeAll()
        h.agent("/conversations/\(id)/messages", json: ["text": "hello"])
        h.agent("/conversations/\(id)/typing", json: ["active": true])
        h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "hey"])
        h.agent("/conversations/\(id)/close")
        let states = h.frames.map { $0.json["conversation"]?["state"] }
        #expect(states == ["active", "active", "active", "ended"])
        #expect(h.frames.last?.json["conversation"]?["endedBy"] == "agent")
    }

    @Test func prunedConversationsAreAnnounced() {
        var h = Harness(settings: makeSettings(maxEnded: 1))
        h.absorb(h.sim.consoleOpened(1))
        let first = h.active()
        let second = h.active()
        h.agent("/conversations/\(first)/close")
        h.frames.removeAll()
        h.agent("/conversations/\(second)/close")
        #expect(h.frames.map(\.json).contains(["type": "removed", "conversationId": .string(first)]))
        #expect(h.gw("GET", "/conversations/\(first)").status == 404)
        #expect(h.gw("GET", "/conversations/\(second)").status == 200)
    }
}
