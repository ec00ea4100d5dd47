import HTTPModel
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct AdminRoutesTests {
    @Test func faultAnswersStatusWithoutSideEffects() {
        var h = Harness()
        let set = h.request("POST", "/sim/admin/faults", json: ["status": 500, "count": 1, "match": "POST /conversations"])
        #expect(set.status == 200)
        #expect(set.jsonBody?["faults"] == [["status": 500, "count": 1, "match": "POST /conversations"]])
        let failed = h.gw("POST", "/conversations", json: createBody())
        #expect(failed.status == 500)
        #expect(failed.contentType == "application/problem+json")
        #expect(failed.problemCode == "INJECTED_FAULT")
        #expect(h.attempts.isEmpty)
        #expect(h.request("GET", "/sim/agent/state").jsonBody?["conversations"] == [])
        #expect(h.gw("POST", "/conversations", json: createBody()).status == 202)
    }

    @Test func matchIsAPrefixOfMethodAndPath() {
        var h = Harness()
        let id = h.create()
        h.request("POST", "/sim/admin/faults", json: ["status": 503, "count": 2, "match": "POST /conversations/"])
        #expect(h.gw("GET", "/conversations/\(id)").status == 200)
        #expect(h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "a"]).status == 503)
        #expect(h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "user"]).status == 503)
        #expect(h.gw("POST", "/conversations/\(id)/typing", json: ["authorType": "user"]).status == 204)
        #expect(h.agentView(id)["messages"] == [])
    }

    @Test func emptyMatchHitsEveryCallAndDeleteClears() {
        var h = Harness()
        h.request("POST", "/sim/admin/faults", json: ["status": 429, "count": 100])
        #expect(h.gw("GET", "/conversations/x").status == 429)
        #expect(h.request("GET", "/sim/admin/faults").jsonBody?["faults"]?.arrayValue?.first?["count"] == 99)
        #expect(h.request("DELETE", "/sim/admin/faults").status == 204)
        #expect(h.gw("GET", "/conversations/x").status == 404)
    }

    @Test func authIsCheckedBeforeFaults() {
        var h = Harness()
        h.request("POST", "/sim/admin/faults", json: ["status": 500])
        #expect(h.request("GET", "/sim/chat-gateway/v1/conversations/x").status == 401)
        #expect(h.gw("GET", "/conversations/x").status == 500)
    }

    @Test func invalidFaults() {
        var h = Harness()
        #expect(h.request("POST", "/sim/admin/faults", json: ["status": 200]).status == 400)
        #expect(h.request("POST", "/sim/admin/faults", json: [:]).status == 400)
        #expect(h.request("POST", "/sim/admin/faults", json: ["status": 500, "count": 0]).status == 400)
        #expect(h.request("POST", "/sim/admin/faults", json: ["status": 500, "count": 1.5]).status == 400)
        #expect(h.request("POST", "/sim/admin/faults", json: ["status": 500, "match": 3]).status == 400)
        #expect(h.request("POST", "/sim/admin/faults", raw: "nope").status == 400)
        #expect(h.request("PUT", "/sim/admin/faults").status == 405)
        #expect(h.request("GET", "/sim/admin/other").status == 404)
        let huge = try? ChatGatewaySimulator.parseFault(["status": 500, "count": 1e15])
        #expect(huge?.remaining == ChatGatewaySimulator.maxFaultCount)
    }

    @Test func statsCountCallsWebhooksAndConversations() throws {
        var h = Harness()
        let id = h.active()
        h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "a"])
        h.complete(.response(status: 500, body: []))
        let stats = try #require(h.request("GET", "/sim/admin/stats").jsonBody)
        #expect(stats["calls"]?["POST /conversations"] == 1)
        #expect(stats["calls"]?["POST /conversations/{id}/messages"] == 1)
        #expect(stats["webhooks"] == ["enqueued": 5, "delivered": 4, "attempts": 5, "failures": 1, "dropped": 0, "pending": 1])
        #expect(stats["conversations"] == ["queued": 0, "active": 1, "ended": 0])
        #expect(h.request("DELETE", "/sim/admin/stats").status == 204)
        #expect(h.request("GET", "/sim/admin/stats").jsonBody?["calls"] == [:])
    }
}
