import RelayCrypto
import Testing
@testable import RelayCore

@Suite struct WebhookKeyCacheTests {
    let a = WebhookKeyCache.KeyRef(provider: "p", kid: "a")
    let b = WebhookKeyCache.KeyRef(provider: "p", kid: "b")

    @Test func unknownKidIsFetchedOnceAtATime() {
        var cache = WebhookKeyCache()
        #expect(cache.lookup(a, nowMs: t0) == .fetch)
        #expect(cache.lookup(a, nowMs: t0) == .wait)
        cache.fetchSucceeded(a, key: TestSigner.key.publicKey)
        #expect(cache.key(a) != nil)
        #expect(cache.key(WebhookKeyCache.KeyRef(provider: "q", kid: "a")) == nil)  // keys are per provider
    }

    @Test func failedFetchBacksOffExponentially() {
        var cache = WebhookKeyCache()
        #expect(cache.lookup(a, nowMs: t0) == .fetch)
        #expect(cache.fetchFailed(a, nowMs: t0) == 1_000)
        #expect(cache.lookup(a, nowMs: t0 + 400) == .unavailable(retryAfterMs: 600))
        #expect(cache.lookup(a, nowMs: t0 + 1_000) == .fetch)
        #expect(cache.fetchFailed(a, nowMs: t0 + 1_000) == 2_000)
        #expect(cache.lookup(a, nowMs: t0 + 2_000) == .unavailable(retryAfterMs: 1_000))
        #expect(cache.lookup(a, nowMs: t0 + 3_000) == .fetch)
        cache.fetchSucceeded(a, key: TestSigner.key.publicKey)
        #expect(cache.key(a) != nil)
    }

    @Test func backoffIsCapped() {
        var cache = WebhookKeyCache()
        var now = t0
        var last: Int64 = 0
        for _ in 0..<20 {
            guard case .fetch = cache.lookup(a, nowMs: now) else { Issue.record("expected a fetch"); return }
            last = cache.fetchFailed(a, nowMs: now)
            now += last
        }
        #expect(last == cache.limits.maxBackoffMs)
    }

    @Test func aFailedFetchNeverEvictsACachedKey() {
        var cache = WebhookKeyCache()
        _ = cache.lookup(a, nowMs: t0)
        cache.fetchSucceeded(a, key: TestSigner.key.publicKey)
        _ = cache.lookup(b, nowMs: t0)
        cache.fetchFailed(b, nowMs: t0)
        #expect(cache.key(a) != nil)
        #expect(cache.key(b) == nil)
    }

    @Test func aFloodOfUnknownKidsIsBudgeted() {
        var cache = WebhookKeyCache()
        let budget = cache.limits.fetchesPerMinute
        for i in 0..<budget {
            #expect(cache.lookup(.init(provider: "p", kid: "bad-\(i)"), nowMs: t0 + Int64(i)) == .fetch)
        }
        #expect(cache.lookup(.init(provider: "p", kid: "one-more"), nowMs: t0 + 100) == .unavailable(retryAfterMs: 59_900))
        // Another provider has its own budget; a minute later the budget is back.
        #expect(cache.lookup(.init(provider: "q", kid: "x"), nowMs: t0 + 100) == .fetch)
        #expect(cache.lookup(.init(provider: "p", kid: "later"), nowMs: t0 + 60_000) == .fetch)
    }

    @Test func rememberedFailuresAreBounded() {
        var limits = WebhookKeyCache.Limits()
        limits.maxRememberedFailures = 2
        limits.fetchesPerMinute = 100
        var cache = WebhookKeyCache(limits: limits)
        for kid in ["x", "y", "z"] {
            let ref = WebhookKeyCache.KeyRef(provider: "p", kid: kid)
            _ = cache.lookup(ref, nowMs: t0)
            cache.fetchFailed(ref, nowMs: t0)
        }
        // "x" was forgotten (may be fetched again), "z" is still backing off.
        #expect(cache.lookup(.init(provider: "p", kid: "x"), nowMs: t0 + 1) == .fetch)
        #expect(cache.lookup(.init(provider: "p", kid: "z"), nowMs: t0 + 1) == .unavailable(retryAfterMs: 999))
    }
}

@Suite struct WebhookKeyCacheNotFoundTests {
    @Test func aKidUnknownTo8x8IsRefusedUntilTheBackoffEnds() {
        var cache = WebhookKeyCache()
        let ref = WebhookKeyCache.KeyRef(provider: "p", kid: "made-up")
        #expect(cache.lookup(ref, nowMs: t0) == .fetch)
        #expect(cache.fetchFailed(ref, nowMs: t0, notFound: true) == 1_000)
        #expect(cache.lookup(ref, nowMs: t0 + 500) == .unknown)
        #expect(cache.lookup(ref, nowMs: t0 + 1_000) == .fetch)  // asked again later: keys do appear (rotation)
    }

    @Test func unknownKeyIsABadSignature() {
        let refusal = WebhookRefusal.unknownKey(kid: "k")
        #expect((refusal.status, refusal.code, refusal.result) == (401, "bad_signature", .badSignature))
    }
}
