import Testing
@testable import ChatGatewaySimulator

@Suite struct WebhookOutboxTests {
    func event(_ n: Int, _ conversation: String = "c") -> WebhookEvent {
        WebhookEvent(eventId: "e\(n)", eventType: "T", conversationId: conversation, body: Array("\(n)".utf8))
    }
    let delay: (Int) -> Int = { $0 * 100 }
    let cap = WebhookOutbox.maxConcurrentDeliveries

    func succeed(_ attempt: WebhookAttempt, in outbox: inout WebhookOutbox) -> WebhookOutcome {
        outbox.complete(deliveryId: attempt.deliveryId, success: true, maxAttempts: 3, retryDelayMs: delay)
    }

    func fail(_ attempt: WebhookAttempt, in outbox: inout WebhookOutbox, maxAttempts: Int = 3) -> WebhookOutcome {
        outbox.complete(deliveryId: attempt.deliveryId, success: false, maxAttempts: maxAttempts, retryDelayMs: delay)
    }

    /// Takes every slot with the first event of conversations "c0"…"c7".
    func fill(_ outbox: inout WebhookOutbox) throws -> [WebhookAttempt] {
        let attempts = (0..<cap).compactMap { outbox.enqueue(event($0, "c\($0)")) }
        try #require(attempts.count == cap)
        return attempts
    }

    @Test func oneConversationSendsOneEventAtATimeInOrder() throws {
        var outbox = WebhookOutbox()
        let firstMaybe = outbox.enqueue(event(1))
        let first = try #require(firstMaybe)
        #expect(first.retry == 0)
        #expect(outbox.enqueue(event(2)) == nil)
        #expect(outbox.enqueue(event(3)) == nil)
        #expect(outbox.inFlightCount == 1)
        guard case .delivered(let second?) = succeed(first, in: &outbox) else {
            Issue.record("expected delivery of e2"); return
        }
        #expect(second.event.eventId == "e2")
        #expect(second.deliveryId != first.deliveryId)
        guard case .delivered(let third?) = succeed(second, in: &outbox) else {
            Issue.record("expected delivery of e3"); return
        }
        #expect(third.event.eventId == "e3")
        #expect(succeed(third, in: &outbox) == .delivered(next: nil))
        #expect(outbox.inFlightCount == 0)
        #expect(outbox.enqueue(event(4)) != nil)
    }

    @Test func differentConversationsGoOutConcurrently() throws {
        var outbox = WebhookOutbox()
        let aMaybe = outbox.enqueue(event(1, "a"))
        let bMaybe = outbox.enqueue(event(2, "b"))
        let a = try #require(aMaybe)
        let b = try #require(bMaybe)
        #expect(a.event.conversationId == "a" && b.event.conversationId == "b")
        #expect(a.deliveryId != b.deliveryId)
        #expect(outbox.inFlightCount == 2)
        // b finishing first is fine: nothing orders it after a.
        #expect(succeed(b, in: &outbox) == .delivered(next: nil))
        #expect(succeed(a, in: &outbox) == .delivered(next: nil))
    }

    @Test func retriesSameEventThenGivesUp() throws {
        var outbox = WebhookOutbox()
        let attemptMaybe = outbox.enqueue(event(1))
        var attempt = try #require(attemptMaybe)
        _ = outbox.enqueue(event(2))
        for n in 1..<3 {
            #expect(fail(attempt, in: &outbox) == .retryLater(event: attempt.event, afterMs: n * 100, next: nil))
            #expect(outbox.inFlightCount == 0)
            let retried = outbox.retryDue(conversationId: "c")
            attempt = try #require(retried)
            #expect(attempt.event.eventId == "e1")
            #expect(attempt.event.body == Array("1".utf8))
            #expect(attempt.retry == n)
        }
        guard case .gaveUp(let dropped, let next?) = fail(attempt, in: &outbox) else {
            Issue.record("expected give-up"); return
        }
        #expect(dropped.eventId == "e1" && dropped.attempts == 3)
        #expect(next.event.eventId == "e2" && next.retry == 0)
    }

    @Test func aConversationWaitingForItsRetryBlocksOnlyItself() throws {
        var outbox = WebhookOutbox()
        let aMaybe = outbox.enqueue(event(1, "a"))
        let a = try #require(aMaybe)
        #expect(outbox.enqueue(event(2, "a")) == nil)
        #expect(fail(a, in: &outbox) == .retryLater(event: a.event, afterMs: 100, next: nil))
        // a's second event waits behind the failed one; b goes out at once.
        let bMaybe = outbox.enqueue(event(3, "b"))
        let b = try #require(bMaybe)
        #expect(b.event.eventId == "e3")
        #expect(succeed(b, in: &outbox) == .delivered(next: nil))
        #expect(outbox.retryDue(conversationId: "b") == nil)  // b has no retry pending
        let retryMaybe = outbox.retryDue(conversationId: "a")
        let retry = try #require(retryMaybe)
        #expect(retry.event.eventId == "e1" && retry.retry == 1)
        guard case .delivered(let second?) = succeed(retry, in: &outbox) else {
            Issue.record("expected a's second event"); return
        }
        #expect(second.event.eventId == "e2")
    }

    @Test func aFailureHandsItsSlotToAWaitingConversation() throws {
        var outbox = WebhookOutbox()
        let attempts = try fill(&outbox)
        #expect(outbox.enqueue(event(100, "waiting")) == nil)
        guard case .retryLater(_, _, let next?) = fail(attempts[0], in: &outbox) else {
            Issue.record("expected the waiting conversation to start"); return
        }
        #expect(next.event.eventId == "e100")
        // The retry finds every slot taken: it lines up instead of exceeding the cap.
        #expect(outbox.retryDue(conversationId: "c0") == nil)
        #expect(outbox.inFlightCount == cap)
        guard case .delivered(let retried?) = succeed(attempts[1], in: &outbox) else {
            Issue.record("expected c0's retry"); return
        }
        #expect(retried.event.eventId == "e0" && retried.retry == 1)
    }

    @Test func theGlobalCapHoldsAndTheNextStartsWhenOneCompletes() throws {
        var outbox = WebhookOutbox()
        let started = (0..<20).compactMap { outbox.enqueue(event($0, "c\($0)")) }
        #expect(started.map(\.event.eventId) == (0..<8).map { "e\($0)" })
        #expect(outbox.inFlightCount == 8)
        #expect(outbox.pendingCount == 20)
        guard case .delivered(let ninth?) = succeed(started[3], in: &outbox) else {
            Issue.record("expected the 9th conversation to start"); return
        }
        #expect(ninth.event.eventId == "e8")
        #expect(outbox.inFlightCount == 8)
    }

    @Test func theConversationWaitingLongestGoesFirst() throws {
        var outbox = WebhookOutbox()
        let attempts = try fill(&outbox)
        #expect(outbox.enqueue(event(100, "c0")) == nil)  // c0's second event: c0 is busy, not ready
        #expect(outbox.enqueue(event(101, "x")) == nil)
        #expect(outbox.enqueue(event(102, "y")) == nil)
        // c0 is ready again only now, behind x and y.
        guard case .delivered(let first?) = succeed(attempts[0], in: &outbox),
              case .delivered(let second?) = succeed(attempts[1], in: &outbox),
              case .delivered(let third?) = succeed(attempts[2], in: &outbox)
        else {
            Issue.record("expected three starts"); return
        }
        #expect([first, second, third].map(\.event.eventId) == ["e101", "e102", "e100"])
    }

    @Test func givingUpFreesTheSlot() throws {
        var outbox = WebhookOutbox()
        let attempts = try fill(&outbox)
        #expect(outbox.enqueue(event(100, "waiting")) == nil)
        guard case .gaveUp(let dropped, let next?) = fail(attempts[5], in: &outbox, maxAttempts: 1) else {
            Issue.record("expected give-up and a start"); return
        }
        #expect(dropped.eventId == "e5")
        #expect(next.event.eventId == "e100")
        #expect(outbox.pendingCount == cap)
    }

    @Test func staleOrUnknownCompletionsAreIgnored() throws {
        var outbox = WebhookOutbox()
        #expect(outbox.complete(deliveryId: 1, success: true, maxAttempts: 3, retryDelayMs: delay) == .ignored)
        let attemptMaybe = outbox.enqueue(event(1))
        let attempt = try #require(attemptMaybe)
        #expect(outbox.complete(deliveryId: attempt.deliveryId + 5, success: true, maxAttempts: 3, retryDelayMs: delay) == .ignored)
        _ = fail(attempt, in: &outbox)
        // A duplicate completion while waiting for the retry changes nothing.
        #expect(succeed(attempt, in: &outbox) == .ignored)
        #expect(outbox.retryDue(conversationId: "unknown") == nil)
        let retryMaybe = outbox.retryDue(conversationId: "c")
        let retry = try #require(retryMaybe)
        #expect(outbox.retryDue(conversationId: "c") == nil)
        // The first attempt's id stays stale once the retry is in flight.
        #expect(succeed(attempt, in: &outbox) == .ignored)
        #expect(succeed(retry, in: &outbox) == .delivered(next: nil))
        #expect(succeed(retry, in: &outbox) == .ignored)
        #expect(outbox.pendingCount == 0)
    }

    @Test func pendingCountsEventsNotYetDeliveredOrDropped() throws {
        var outbox = WebhookOutbox()
        let aMaybe = outbox.enqueue(event(1, "a"))
        let a = try #require(aMaybe)
        _ = outbox.enqueue(event(2, "a"))
        let bMaybe = outbox.enqueue(event(3, "b"))
        let b = try #require(bMaybe)
        #expect(outbox.pendingCount == 3)
        _ = fail(b, in: &outbox)
        #expect(outbox.pendingCount == 3)  // waiting for its retry is still pending
        _ = succeed(a, in: &outbox)
        #expect(outbox.pendingCount == 2)
        let retryMaybe = outbox.retryDue(conversationId: "b")
        let retry = try #require(retryMaybe)
        _ = fail(retry, in: &outbox, maxAttempts: 2)
        #expect(outbox.pendingCount == 1)
    }

    @Test func longRunsKeepEachConversationsOrder() throws {
        var outbox = WebhookOutbox()
        var running = (0..<1000).compactMap { outbox.enqueue(event($0, "c\($0 % 5)")) }
        var seen: [String: [String]] = [:]
        while !running.isEmpty {
            let attempt = running.removeFirst()
            seen[attempt.event.conversationId, default: []].append(attempt.event.eventId)
            guard case .delivered(let next) = succeed(attempt, in: &outbox) else {
                Issue.record("expected delivery"); return
            }
            if let next { running.append(next) }
        }
        for c in 0..<5 {
            #expect(seen["c\(c)"] == stride(from: c, to: 1000, by: 5).map { "e\($0)" })
        }
        #expect(outbox.pendingCount == 0 && outbox.inFlightCount == 0)
    }

    @Test func fifoKeepsOrderAcrossCompaction() {
        var fifo = FIFO<Int>()
        var out: [Int] = []
        for n in 0..<500 {
            fifo.append(n)
            if n % 3 == 0, let first = fifo.removeFirst() { out.append(first) }
        }
        while let first = fifo.removeFirst() { out.append(first) }
        #expect(out == Array(0..<500))
    }
}
