import Testing
@testable import RelayCore

@Suite struct CircuitBreakerTests {
    private let policy = CircuitBreaker.Policy(failureThreshold: 3, openMs: 10_000, minimumFailureSpanMs: 0)

    private func opened(at now: Int64 = 0) -> CircuitBreaker {
        var breaker = CircuitBreaker(policy: policy)
        for n in 1...3 { _ = breaker.record(CallID(UInt64(n)), healthy: false, now: now) }
        return breaker
    }

    @Test func opensAfterTheThresholdOfFailuresInARow() {
        var breaker = CircuitBreaker(policy: policy)
        #expect(breaker.record(CallID(1), healthy: false, now: 0) == nil)
        #expect(breaker.record(CallID(2), healthy: false, now: 0) == nil)
        #expect(breaker.record(CallID(3), healthy: false, now: 500) == .opened(untilMs: 10_500))
        #expect(breaker.state == .open(untilMs: 10_500))
    }

    @Test func aHealthyAnswerResetsTheCount() {
        var breaker = CircuitBreaker(policy: policy)
        _ = breaker.record(CallID(1), healthy: false, now: 0)
        _ = breaker.record(CallID(2), healthy: false, now: 0)
        #expect(breaker.record(CallID(3), healthy: true, now: 0) == nil)
        #expect(breaker.record(CallID(4), healthy: false, now: 0) == nil)
        #expect(breaker.state == .closed)
    }

    @Test func whileOpenCallsWaitForTheRestOfTheOpenTime() {
        var breaker = opened()
        #expect(breaker.permit(CallID(10), now: 4_000) == .wait(ms: 6_000))
        #expect(breaker.permit(CallID(11), now: 9_999) == .wait(ms: 1))
    }

    @Test func afterTheOpenTimeOneProbeGoesThroughAndOthersWait() {
        var breaker = opened()
        #expect(breaker.permit(CallID(10), now: 10_000) == .call)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.permit(CallID(11), now: 10_001) == .wait(ms: 1_000))
        #expect(breaker.permit(CallID(12), now: 10_500) == .wait(ms: 1_000))
    }

    @Test func aSuccessfulProbeClosesTheCircuit() {
        var breaker = opened()
        _ = breaker.permit(CallID(10), now: 10_000)
        #expect(breaker.record(CallID(10), healthy: true, now: 10_200) == .closed)
        #expect(breaker.state == .closed)
        #expect(breaker.permit(CallID(11), now: 10_200) == .call)
    }

    @Test func aFailedProbeOpensItAgain() {
        var breaker = opened()
        _ = breaker.permit(CallID(10), now: 10_000)
        #expect(breaker.record(CallID(10), healthy: false, now: 10_300) == .opened(untilMs: 20_300))
        #expect(breaker.permit(CallID(11), now: 15_000) == .wait(ms: 5_300))
    }

    @Test func aLateFailureOfAnOlderCallDoesNotReopenWhileTheProbeIsOut() {
        var breaker = opened()
        _ = breaker.permit(CallID(10), now: 10_000)
        #expect(breaker.record(CallID(2), healthy: false, now: 10_100) == nil)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.record(CallID(10), healthy: true, now: 10_200) == .closed)
    }

    @Test func failuresAtOneInstantDoNotOpenItThoseSpreadOverTheSpanDo() {
        // The calls pipelined on one dropped connection fail together: an ordinary retry, not an outage.
        var breaker = CircuitBreaker(policy: .init(failureThreshold: 3, openMs: 10_000, minimumFailureSpanMs: 2_000))
        for n in 1...20 { #expect(breaker.record(CallID(UInt64(n)), healthy: false, now: 5_000) == nil) }
        #expect(breaker.state == .closed)
        #expect(breaker.record(CallID(21), healthy: false, now: 6_999) == nil)
        #expect(breaker.record(CallID(22), healthy: false, now: 7_000) == .opened(untilMs: 17_000))
    }

    @Test func aSuccessStartsTheSpanAgain() {
        var breaker = CircuitBreaker(policy: .init(failureThreshold: 2, openMs: 10_000, minimumFailureSpanMs: 1_000))
        _ = breaker.record(CallID(1), healthy: false, now: 0)
        _ = breaker.record(CallID(2), healthy: true, now: 900)
        _ = breaker.record(CallID(3), healthy: false, now: 950)
        #expect(breaker.record(CallID(4), healthy: false, now: 1_500) == nil)  // only 550 ms of failing
        #expect(breaker.record(CallID(5), healthy: false, now: 1_950) == .opened(untilMs: 11_950))
    }

    @Test func aThresholdOfZeroDisablesIt() {
        var breaker = CircuitBreaker(policy: .init(failureThreshold: 0, openMs: 1_000))
        for n in 1...100 { #expect(breaker.record(CallID(UInt64(n)), healthy: false, now: 0) == nil) }
        #expect(breaker.permit(CallID(101), now: 0) == .call)
    }
}
