import Testing
@testable import RelayCore

@Suite struct RetryPolicyTests {
    @Test func defaults() {
        let p = RetryPolicy()
        #expect(p.maxAttempts == 5)
        #expect(p.baseDelayMs == 500)
        #expect(p.maxDelayMs == 8_000)
    }

    /// Bounded by 50–100 % of min(max, base·2^(n-1)).
    @Test(arguments: 1...12)
    func delayIsJitteredExponentialBackoff(attempt: Int) {
        let p = RetryPolicy(maxAttempts: 20, baseDelayMs: 500, maxDelayMs: 8_000)
        let cap = min(8_000, 500 * (1 << (attempt - 1)))
        var seen = Set<Int>()
        for salt in UInt64(0)..<500 {
            let d = p.delayMs(afterAttempt: attempt, salt: salt)
            #expect(d >= cap / 2 && d <= cap, "attempt \(attempt) salt \(salt): \(d) not in \(cap / 2)...\(cap)")
            seen.insert(d)
        }
        #expect(seen.count > 50)  // the jitter actually spreads retries
    }

    @Test func exponentialSteps() {
        let p = RetryPolicy(maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 100_000)
        // Salt 0 gives exactly the lower bound: half the exponential step.
        #expect((1...6).map { p.delayMs(afterAttempt: $0, salt: 0) } == [50, 100, 200, 400, 800, 1_600])
    }

    @Test func deterministicForTheSameSalt() {
        let p = RetryPolicy()
        #expect(p.delayMs(afterAttempt: 3, salt: 42) == p.delayMs(afterAttempt: 3, salt: 42))
    }

    @Test func hugeAttemptCountsStayCapped() {
        let p = RetryPolicy(maxAttempts: 1_000, baseDelayMs: 500, maxDelayMs: 8_000)
        for attempt in [30, 64, 1_000] {
            let d = p.delayMs(afterAttempt: attempt, salt: 7)
            #expect(d >= 4_000 && d <= 8_000)
        }
    }

    @Test func neverZero() {
        let p = RetryPolicy(maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1)
        #expect(p.delayMs(afterAttempt: 1, salt: 0) == 1)
    }

    @Test func logRecordDefaults() {
        let record = LogRecord(.info, "hello")
        #expect(record.metadata.isEmpty)
        #expect(record.level.rawValue == "info")
    }
}
