import HTTPModel
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct ChatGatewaySimulatorTests {
    @Test func routesOnlyUnderThePrefix() {
        var h = Harness()
        #expect(h.request("GET", "/simulator/agent/state").status == 404)
        #expect(h.request("GET", "/other").status == 404)
        #expect(h.request("GET", "/sim").status == 404)
        #expect(h.request("GET", "/sim/agent/state?x=1").status == 200)
        #expect(h.request("GET", "/sim/chat-gateway/v2/conversations").status == 404)
    }

    @Test func emptyPrefixServesFromRoot() {
        var settings = makeSettings()
        settings.pathPrefix = "/"
        var h = Harness(settings: settings)
        #expect(h.request("GET", "/agent/state").status == 200)
    }

    @Test func consoleFeedNeedsAWebSocket() {
        var h = Harness()
        #expect(h.request("GET", "/sim/ws/console").status == 426)
    }

    @Test func unknownTimersAndDeliveriesAreIgnored() {
        var sim = ChatGatewaySimulator(settings: makeSettings())
        #expect(sim.timerFired(99, nowMs: t0).isEmpty)
        #expect(sim.webhookCompleted(deliveryId: 7, result: .response(status: 200, body: []), nowMs: t0).isEmpty)
    }

    @Test func fullHandoverSequence() {
        var h = Harness()
        let id = h.create()
        h.agent("/conversations/\(id)/accept", json: ["agentId": "a1"])
        h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "help"])
        h.agent("/conversations/\(id)/typing", json: ["active": true])
        h.agent("/conversations/\(id)/messages", json: ["text": "sure"])
        h.agent("/conversations/\(id)/transfer", json: ["queueId": "billing"])
        h.agent("/conversations/\(id)/accept", json: ["agentId": "a2"])
        h.agent("/conversations/\(id)/close")
        #expect(h.drain().map(\.eventType) == [
            "MEMBERS_CHANGED", "CONVERSATION_UPDATE", "MESSAGE", "ACTIVITY", "MESSAGE",
            "TRANSFER", "MEMBERS_CHANGED", "QUEUED", "MEMBERS_CHANGED", "CONVERSATION_UPDATE", "MEMBERS_CHANGED",
        ])
        let view = h.agentView(id)
        #expect(view["messages"]?.arrayValue?.map { $0["authorType"] } == ["user", "agent"])
    }

    /// Hostile input of every shape gets an answer, never a trap.
    @Test func neverCrashesOnGarbage() {
        var h = Harness()
        let id = h.create()
        var generator = SplitMix(seed: 7)
        let methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", ""]
        let paths = ["/sim/chat-gateway/v1/conversations", "/sim/chat-gateway/v1/conversations/\(id)/messages",
                     "/sim/chat-gateway/v1/conversations/\(id)/participants/user", "/sim/agent/conversations/\(id)/accept",
                     "/sim/agent/conversations/\(id)/transfer", "/sim/admin/faults", "/sim//", "/sim/%00/../x", ""]
        let bodies = ["", "{", "null", "[]", "{\"channelId\":{}}", "{\"user\":[],\"history\":{\"messages\":{}}}",
                      "{\"removed\":true}", "{\"status\":1e308}", "{\"text\":\"\\ud800\"}", "\u{0}\u{1}"]
        for _ in 0..<600 {
            let method = methods[Int(generator.next() % UInt64(methods.count))]
            let path = paths[Int(generator.next() % UInt64(paths.count))]
            var body = Array(bodies[Int(generator.next() % UInt64(bodies.count))].utf8)
            if generator.next() % 4 == 0 { body = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
            let output = h.sim.handle(HTTPRequest(method: method, path: path, headers: ["x-api-key": "secret"], body: body),
                                      nowMs: Int64(bitPattern: generator.next()))
            #expect((200..<600).contains(output.response.status))
            h.absorb(output.effects)
        }
    }
}

/// A tiny deterministic generator so the garbage test is reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
