import Testing
@testable import RelayCore

@Suite struct MessageRateLimiterTests {
    @Test func aFullBucketAdmitsTheBurstThenRefusesWithTheTimeToTheNextToken() {
        var limiter = MessageRateLimiter(ratePerSecond: 4, burst: 3, nowMs: 1000)
        #expect((0..<3).map { _ in limiter.admit(nowMs: 1000) } == [.accept, .accept, .accept])
        // 4 per second: one token every 250 ms.
        #expect(limiter.admit(nowMs: 1000) == .refuse(retryAfterMs: 250))
        #expect(limiter.admit(nowMs: 1100) == .refuse(retryAfterMs: 150))
        #expect(limiter.admit(nowMs: 1250) == .accept)
    }

    @Test func theBucketRefillsAtTheRateButNeverBeyondTheBurst() {
        var limiter = MessageRateLimiter(ratePerSecond: 10, burst: 5, nowMs: 0)
        for _ in 0..<5 { #expect(limiter.admit(nowMs: 0) == .accept) }
        // An hour of silence gives back 5 tokens, not 36 000.
        let later: UInt64 = 3_600_000
        #expect((0..<5).map { _ in limiter.admit(nowMs: later) }.allSatisfy { $0 == .accept })
        #expect(limiter.admit(nowMs: later) == .refuse(retryAfterMs: 100))
    }

    @Test func aSteadySenderAtTheRateIsNeverRefused() {
        var limiter = MessageRateLimiter(ratePerSecond: 20, burst: 1, nowMs: 0)
        for step in 0..<200 {
            #expect(limiter.admit(nowMs: UInt64(step * 50)) == .accept, "message \(step)")
        }
    }

    @Test func aClientThatIgnoresRefusalsIsClosedAfterABurstOfThem() {
        var limiter = MessageRateLimiter(ratePerSecond: 1, burst: 2, nowMs: 0)
        #expect(limiter.admit(nowMs: 0) == .accept)
        #expect(limiter.admit(nowMs: 0) == .accept)
        #expect(limiter.admit(nowMs: 0) == .refuse(retryAfterMs: 1000))
        #expect(limiter.admit(nowMs: 10) == .refuse(retryAfterMs: 990))
        #expect(limiter.admit(nowMs: 20) == .close)
    }

    @Test func anAcceptedMessageForgivesEarlierRefusals() {
        var limiter = MessageRateLimiter(ratePerSecond: 1, burst: 2, nowMs: 0)
        _ = limiter.admit(nowMs: 0)
        _ = limiter.admit(nowMs: 0)
        #expect(limiter.admit(nowMs: 0) == .refuse(retryAfterMs: 1000))
        #expect(limiter.admit(nowMs: 0) == .refuse(retryAfterMs: 1000))
        #expect(limiter.admit(nowMs: 1000) == .accept)  // waited as told
        #expect(limiter.admit(nowMs: 1000) == .refuse(retryAfterMs: 1000))
        #expect(limiter.admit(nowMs: 1000) == .refuse(retryAfterMs: 1000))
        #expect(limiter.admit(nowMs: 1000) == .close)
    }

    @Test func aClockGoingBackwardsChangesNothing() {
        var limiter = MessageRateLimiter(ratePerSecond: 1, burst: 1, nowMs: 5000)
        #expect(limiter.admit(nowMs: 5000) == .accept)
        #expect(limiter.admit(nowMs: 4000) == .refuse(retryAfterMs: 1000))
        #expect(limiter.admit(nowMs: 6000) == .accept)
    }
}
