import HTTPModel
import Testing
@testable import RelayCore

/// The engine with a provider's circuit breaker: a failing 8x8 is left alone
/// for a while, calls wait without spending attempts, and a probe reopens it.
@Suite struct RelayEngineBreakerTests {
    private func harness() -> EngineHarness {
        EngineHarness(config: testConfig(retry: RetryPolicy(maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 100,
                                                            breaker: .init(failureThreshold: 2, openMs: 10_000, minimumFailureSpanMs: 0))))
    }

    @Test func callsWaitForAnOpenCircuitWithoutSpendingAttemptsThenAProbeClosesIt() throws {
        var h = harness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        let original = try #require(h.engine.session(SessionID("s1"))?.outbox.head)

        // Two failures in a row open the circuit (the second still schedules its ordinary retry).
        let first = h.complete(create, .transportError("connection refused"))
        let (t1, d1) = try #require(first.schedules.first)
        h.now += Int64(d1)
        let retry = try #require(h.fire(t1).calls.first)
        let second = h.complete(retry.0, .transportError("connection refused"))
        #expect(second.logs.contains { $0.level == .error && $0.message == "8x8 circuit open: calls to this provider paused" })
        #expect(h.engine.breakers["default"]?.state == .open(untilMs: h.now + 10_000))
        let (t2, d2) = try #require(second.schedules.first)

        // The retry is due, but the circuit is open: no call, a wait for the rest of the open time.
        h.now += Int64(d2)
        let waited = h.fire(t2)
        #expect(waited.calls.isEmpty)
        let (t3, remaining) = try #require(waited.schedules.first)
        #expect(remaining == 10_000 - d2)
        #expect(h.s1.outbox.attempts == 2)
        #expect(h.s1.outbox.head == original)

        // The open time is over: one probe, which succeeds and closes the circuit.
        h.now += Int64(remaining)
        let probe = try #require(h.fire(t3).calls.first)
        #expect(h.s1.outbox.attempts == 3)
        let closed = h.complete(probe.0, status: 202, body: ["conversationId": "X"])
        #expect(closed.logs.contains { $0.message == "8x8 circuit closed: calls to this provider resumed" })
        #expect(h.engine.breakers["default"]?.state == .closed)
        #expect(h.s1.handover?.conversationID == "X")
    }

    @Test func theUserIsToldOnceThatTheRelayKeepsTrying() throws {
        var h = harness()
        let c1 = h.connect(1)
        var call = h.requestAgent(c1)
        var notices = 0
        for _ in 1...4 {
            let failed = h.complete(call, status: 503)
            notices += failed.frames(to: c1).filter { $0["text"]?.stringValue == RelayEngine.unavailabilityText }.count
            var next: CallID?
            var effects = failed
            while next == nil, let (timer, delay) = effects.schedules.first {
                h.now += Int64(delay)
                effects = h.fire(timer)
                notices += effects.frames(to: c1).filter { $0["text"]?.stringValue == RelayEngine.unavailabilityText }.count
                next = effects.calls.first?.0
            }
            call = try #require(next)
        }
        #expect(notices == 1)
        #expect(h.s1.log.events.filter { if case .message(let m) = $0.kind { m.from == .system } else { false } }.count == 1)
    }

    @Test func clientErrorsDoNotOpenTheCircuit() throws {
        var h = harness()
        let c1 = h.connect(1)
        let create = h.requestAgent(c1)
        _ = h.complete(create, status: 400)
        let again = try #require(h.frame(c1, #"{"type":"request_handover"}"#).calls.first)
        #expect(h.complete(again.0, status: 404).logs.contains { $0.message.hasPrefix("8x8 create conversation failed") })
        #expect(h.engine.breakers["default"] == CircuitBreaker(policy: .init(failureThreshold: 2, openMs: 10_000, minimumFailureSpanMs: 0)))
    }
}
