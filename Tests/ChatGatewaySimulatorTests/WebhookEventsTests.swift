import HTTPModel
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct WebhookEventsTests {
    @Test func firstAttemptCarriesAll8x8Headers() throws {
        var h = Harness()
        h.gw("POST", "/conversations", json: createBody())
        let request = try #require(h.attempts.first)
        #expect(request.method == "POST")
        #expect(request.url == testWebhookURL)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["x-8x8-tenant-id"] == "tenant-1")
        #expect(request.headers["x-8x8-customer-id"] == "customer-1")
        #expect(request.headers["x-8x8-retry"] == "0")
        #expect(request.headers["x-8x8-transmission-time"] == String(t0))
        #expect(request.headers["x-8x8-event-id"]?.count == 36)
        let body = try #require(request.jsonBody)
        #expect(body["timestamp"] == JSONValue(t0))
        #expect(body["conversationId"] != nil && body["data"] != nil)
    }

    @Test func everyEventTypeCarriesTheSameHeaderSet() {
        var h = Harness()
        let id = h.active()
        h.gw("POST", "/conversations/\(id)/messages", json: ["authorType": "user", "text": "a"])
        h.agent("/conversations/\(id)/typing", json: ["active": true])
        h.agent("/conversations/\(id)/messages", json: ["text": "b"])
        h.agent("/conversations/\(id)/transfer", json: ["queueId": "billing"])
        h.agent("/conversations/\(id)/accept")
        h.agent("/conversations/\(id)/close")
        let second = h.create()
        h.gw("PATCH", "/conversations/\(second)/participants/user", json: ["removed": true])
        h.drain()
        let expected: Set<String> = ["content-type", "x-8x8-tenant-id", "x-8x8-customer-id", "x-8x8-event-id",
                                     "x-8x8-transmission-time", "x-8x8-retry"]
        #expect(Set(h.attempts.compactMap { $0.jsonBody?.eventType }) ==
                ["CONVERSATION_UPDATE", "QUEUED", "MEMBERS_CHANGED", "MESSAGE", "ACTIVITY", "TRANSFER"])
        for request in h.attempts {
            #expect(Set(request.headers.keys) == expected)
            #expect(request.headers["x-8x8-retry"] == "0")
            #expect(request.jsonBody?["timestamp"] == JSONValue(t0))
            #expect(request.jsonBody?["data"]?.objectValue != nil)
        }
    }

    @Test func aBurstDeliversConversationsConcurrentlyEachInOrder() {
        var h = Harness()
        for _ in 0..<3 { h.gw("POST", "/conversations", json: createBody()) }
        #expect(h.inFlight.count == 3)  // each conversation's CONVERSATION_UPDATE; QUEUED waits for its own
        h.drain()
        var byConversation: [String: [String]] = [:]
        for body in h.attempts.compactMap(\.jsonBody) {
            byConversation[body["conversationId"]?.stringValue ?? "?", default: []].append(body.eventType)
        }
        #expect(byConversation.count == 3)
        #expect(byConversation.values.allSatisfy { $0 == ["CONVERSATION_UPDATE", "QUEUED"] })
    }

    @Test func deliveriesInFlightAreCappedForTheWholeSimulator() {
        var h = Harness()
        for _ in 0..<20 { h.gw("POST", "/conversations", json: createBody()) }
        #expect(h.inFlight.count == WebhookOutbox.maxConcurrentDeliveries)
        #expect(h.request("GET", "/sim/admin/stats").jsonBody?["webhooks"]?["pending"] == 40)
        h.complete()
        #expect(h.inFlight.count == WebhookOutbox.maxConcurrentDeliveries)
        #expect(h.drain().count == 39)
        #expect(h.request("GET", "/sim/admin/stats").jsonBody?["webhooks"]?["pending"] == 0)
    }

    @Test func eventIdsAreUnique() {
        var h = Harness()
        _ = h.active()
        let ids = h.attempts.compactMap { $0.headers["x-8x8-event-id"] }
        #expect(ids.count == 4)
        #expect(Set(ids).count == 4)
    }

    @Test func retryKeepsEventIdAndBodyAndIncrementsRetryHeader() throws {
        var h = Harness()
        h.gw("POST", "/conversations", json: createBody())
        let first = try #require(h.attempts.first)
        h.nowMs += 10
        h.complete(.response(status: 500, body: []))
        #expect(h.scheduled.map(\.afterMs) == [200])
        #expect(h.inFlight.isEmpty)
        h.nowMs += 200
        h.fireTimer(h.scheduled[0].id)
        h.complete(.transportError("connection refused"))
        #expect(h.scheduled.map(\.afterMs) == [200, 400])
        h.nowMs += 400
        h.fireTimer(h.scheduled[1].id)
        #expect(h.attempts.count == 3)
        let third = h.attempts[2]
        #expect(third.headers["x-8x8-event-id"] == first.headers["x-8x8-event-id"])
        #expect(third.headers["x-8x8-retry"] == "2")
        #expect(third.headers["x-8x8-transmission-time"] == String(t0 + 610))
        #expect(third.body == first.body)
        // Firing the same timer again does nothing.
        h.fireTimer(h.scheduled[1].id)
        #expect(h.attempts.count == 3)
    }

    @Test func laterEventsWaitForTheRetriedOne() {
        var h = Harness()
        h.gw("POST", "/conversations", json: createBody())
        h.complete(.response(status: 503, body: []))
        #expect(h.inFlight.isEmpty)  // QUEUED must not overtake the failed CONVERSATION_UPDATE
        h.fireTimer(h.scheduled[0].id)
        let bodies = h.drain()
        #expect(bodies.map(\.eventType) == ["CONVERSATION_UPDATE", "QUEUED"])
    }

    @Test func aRetryTimerRestartsOnlyItsConversation() throws {
        var h = Harness()
        let a = try #require(h.gw("POST", "/conversations", json: createBody()).jsonBody?["conversationId"])
        let b = try #require(h.gw("POST", "/conversations", json: createBody()).jsonBody?["conversationId"])
        #expect(h.inFlight.map { $0.request.jsonBody?["conversationId"] } == [a, b])
        h.complete(.response(status: 503, body: []))
        h.complete(.response(status: 503, body: []))
        #expect(h.inFlight.isEmpty)
        h.fireTimer(h.scheduled[1].id)
        let retry = try #require(h.inFlight.first?.request)
        #expect(h.inFlight.count == 1)
        #expect(retry.jsonBody?["conversationId"] == b && retry.headers["x-8x8-retry"] == "1")
        #expect(h.drain().map(\.eventType) == ["CONVERSATION_UPDATE", "QUEUED"])
        h.fireTimer(h.scheduled[0].id)
        #expect(h.drain().compactMap { $0["conversationId"] } == [a, a])
    }

    @Test func aConversationWaitingForItsRetryDoesNotHoldBackAnother() {
        var h = Harness()
        h.gw("POST", "/conversations", json: createBody())
        h.complete(.response(status: 500, body: []))
        let other = h.create()  // its webhooks go out (and are drained) while the first waits
        #expect(h.attempts.suffix(2).map { $0.jsonBody?["conversationId"]?.stringValue } == [other, other])
        h.fireTimer(h.scheduled[0].id)
        #expect(h.drain().map(\.eventType) == ["CONVERSATION_UPDATE", "QUEUED"])
    }

    @Test func givesUpAfterMaxAttemptsAndTellsConsoles() throws {
        var h = Harness(settings: makeSettings(maxAttempts: 3))
        h.absorb(h.sim.consoleOpened(1))
        h.gw("POST", "/conversations", json: createBody())
        for _ in 0..<2 {
            h.complete(.response(status: 500, body: []))
            h.fireTimer(h.scheduled.last!.id)
        }
        h.complete(.response(status: 502, body: []))
        let deliveries = h.frames.map(\.json).filter { $0["type"] == "delivery" }
        #expect(deliveries.map { $0["attempt"] } == [1, 2, 3])
        #expect(deliveries.map { $0["gaveUp"] } == [false, false, true])
        #expect(deliveries.last?["status"] == 502)
        #expect(deliveries.last?["eventType"] == "CONVERSATION_UPDATE")
        // The next event goes out right away with a fresh retry count.
        let next = try #require(h.inFlight.first?.request)
        #expect(next.jsonBody?.eventType == "QUEUED")
        #expect(next.headers["x-8x8-retry"] == "0")
        let stats = h.request("GET", "/sim/admin/stats").jsonBody?["webhooks"]
        #expect(stats?["dropped"] == 1)
        #expect(stats?["failures"] == 3)
        #expect(stats?["attempts"] == 4)
    }

    @Test func transportErrorIsReportedWithoutStatus() {
        var h = Harness()
        h.absorb(h.sim.consoleOpened(1))
        h.gw("POST", "/conversations", json: createBody())
        h.complete(.transportError("reset"))
        let delivery = h.frames.map(\.json).first { $0["type"] == "delivery" }
        #expect(delivery?["status"] == .null)
        #expect(delivery?["error"] == "reset")
    }

    @Test func payloadShapes() {
        #expect(WebhookPayload.agentTyping(agentId: "a", active: false) == ["name": "typing", "value": ["users": []]])
        #expect(WebhookPayload.userLeft == ["memberType": "user", "change": "left"])
        #expect(WebhookPayload.agentMembership("joined", agentId: "a") == ["memberType": "agent", "change": "joined", "id": "a"])
    }
}
