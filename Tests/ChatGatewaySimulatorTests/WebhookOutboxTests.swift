import Testing
@testable import ChatGatewaySimulator

@Suite struct WebhookOutboxTests {
    func event(_ n: Int) -> WebhookEvent {
        WebhookEvent(eventId: "e\(n)", eventType: "T", conversationId: "c", body: Array("\(n)".utf8))
    }
    let delay: (Int) -> Int = { $0 * 100 }

    @Test func oneInFlightInOrder() throws {
        var outbox = WebhookOutbox()
        let firstMaybe = outbox.enqueue(event(1))
        let first = try #require(firstMaybe)
        #expect(first.retry == 0)
        #expect(outbox.enqueue(event(2)) == nil)
        #expect(outbox.enqueue(event(3)) == nil)
        #expect(outbox.pendingCount == 3)
        guard case .delivered(let second?) = outbox.complete(deliveryId: first.deliveryId, success: true, maxAttempts: 3, retryDelayMs: delay) else {
            Issue.record("expected delivery of e2"); return
        }
        #expect(second.event.eventId == "e2")
        #expect(second.deliveryId != first.deliveryId)
        guard case .delivered(let third?) = outbox.complete(deliveryId: second.deliveryId, success: true, maxAttempts: 3, retryDelayMs: delay) else {
            Issue.record("expected delivery of e3"); return
        }
        #expect(outbox.complete(deliveryId: third.deliveryId, success: true, maxAttempts: 3, retryDelayMs: delay) == .delivered(next: nil))
        #expect(outbox.pendingCount == 0)
        #expect(outbox.enqueue(event(4)) != nil)
    }

    @Test func retriesSameEventThenGivesUp() throws {
        var outbox = WebhookOutbox()
        let attemptMaybe = outbox.enqueue(event(1))
        var attempt = try #require(attemptMaybe)
        _ = outbox.enqueue(event(2))
        for n in 1..<3 {
            let outcome = outbox.complete(deliveryId: attempt.deliveryId, success: false, maxAttempts: 3, retryDelayMs: delay)
            #expect(outcome == .retryLater(event: attempt.event, afterMs: n * 100))
            #expect(outbox.waitingForRetry)
            let retried = outbox.retryDue()
            attempt = try #require(retried)
            #expect(attempt.event.eventId == "e1")
            #expect(attempt.retry == n)
        }
        guard case .gaveUp(let dropped, let next?) = outbox.complete(deliveryId: attempt.deliveryId, success: false, maxAttempts: 3, retryDelayMs: delay) else {
            Issue.record("expected give-up"); return
        }
        #expect(dropped.eventId == "e1" && dropped.attempts == 3)
        #expect(next.event.eventId == "e2" && next.retry == 0)
    }

    @Test func staleOrUnknownCompletionsAreIgnored() throws {
        var outbox = WebhookOutbox()
        #expect(outbox.complete(deliveryId: 1, success: true, maxAttempts: 3, retryDelayMs: delay) == .ignored)
        let attemptMaybe = outbox.enqueue(event(1))
        let attempt = try #require(attemptMaybe)
        #expect(outbox.complete(deliveryId: attempt.deliveryId + 5, success: true, maxAttempts: 3, retryDelayMs: delay) == .ignored)
        _ = outbox.complete(deliveryId: attempt.deliveryId, success: false, maxAttempts: 3, retryDelayMs: delay)
        // A duplicate completion while waiting for the retry changes nothing.
        #expect(outbox.complete(deliveryId: attempt.deliveryId, success: true, maxAttempts: 3, retryDelayMs: delay) == .ignored)
        #expect(outbox.retryDue() != nil)
        #expect(outbox.retryDue() == nil)
    }

    @Test func longRunsCompactWithoutLosingOrder() throws {
        var outbox = WebhookOutbox()
        let currentMaybe = outbox.enqueue(event(0))
        var current = try #require(currentMaybe)
        for n in 1..<300 { _ = outbox.enqueue(event(n)) }
        var seen: [String] = [current.event.eventId]
        while case .delivered(let next?) = outbox.complete(deliveryId: current.deliveryId, success: true, maxAttempts: 1, retryDelayMs: delay) {
            seen.append(next.event.eventId)
            current = next
        }
        #expect(seen == (0..<300).map { "e\($0)" })
    }
}
