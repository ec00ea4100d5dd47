import HTTPModel
import RelayCrypto
import Testing
@testable import RelayCore

@Suite struct WebhookAuthenticatorTests {
    let signer = TestSigner()
    let provider = GatewayProvider(name: "p", baseURL: HTTPURL("https://api.8x8.test")!, apiKey: "k", tenant: "tenant-1")

    func verdict(_ request: HTTPRequest, provider: GatewayProvider? = nil, nowMs: Int64 = t0,
                 keys: [String: RSAPublicKey] = ["kid-1": TestSigner.key.publicKey]) -> WebhookVerdict {
        WebhookAuthenticator.verify(request, provider: provider ?? self.provider, nowMs: nowMs) { keys[$0] }
    }

    // MARK: accepted

    @Test func validSignatureIsAccepted() {
        #expect(verdict(signer.request()) == .accepted(.verified))
        #expect(verdict(signer.request(sentMs: t0 - 299_000)) == .accepted(.verified))  // inside the 5 min window
        #expect(verdict(signer.request(sentMs: t0 + 59_000)) == .accepted(.verified))  // clock skew
    }

    @Test func theOpenSSLFixtureIsAccepted() throws {
        let fixture = try OpenSSLWebhookFixture()
        let key = try WebhookSigningKey.parse(fixture.jwkBody, kid: "fixture-1")
        #expect(verdict(fixture.request, nowMs: fixture.sentMs + 1_000, keys: ["fixture-1": key]) == .accepted(.verified))
    }

    @Test func offSkipsEveryCheck() {
        var off = provider
        off.webhookSignatures.mode = .off
        let unsigned = HTTPRequest(method: "POST", path: "/webhooks/8x8", body: Array("{}".utf8))
        #expect(verdict(unsigned, provider: off) == .accepted(.unchecked))
    }

    @Test func noTenantConfiguredAcceptsAnyTenant() {
        var anyTenant = provider
        anyTenant.tenant = nil
        #expect(verdict(signer.request(headers: ["x-8x8-tenant-id": "someone"]), provider: anyTenant) == .accepted(.verified))
    }

    // MARK: refused 401

    @Test func unsignedIsRefused() {
        let request = signer.request { $0.headers["x-8x8-signature"] = nil }
        #expect(verdict(request) == .refused(.unsigned))
        #expect(verdict(signer.request { $0.headers["x-8x8-signature"] = "" }) == .refused(.unsigned))
        #expect(WebhookRefusal.unsigned.status == 401 && WebhookRefusal.unsigned.code == "unsigned_webhook")
    }

    @Test func malformedSignatureIsRefused() {
        guard case .refused(let refusal) = verdict(signer.request { $0.headers["x-8x8-signature"] = "garbage" }) else {
            Issue.record("not refused")
            return
        }
        #expect(refusal == .malformed("x-8x8-signature is not a compact JWS (header..signature)"))
        #expect((refusal.status, refusal.code) == (401, "bad_signature"))
    }

    @Test func missingCoveredHeaderIsRefused() {
        #expect(verdict(signer.request { $0.headers["x-8x8-event-id"] = nil })
            == .refused(.malformed("header x-8x8-event-id is missing")))
    }

    @Test func tamperedBodyIsRefused() {
        let request = signer.request { $0.body = Array(#"{"eventType":"MESSAGE","conversationId":"Y"}"#.utf8) }
        #expect(verdict(request) == .refused(.badSignature(kid: "kid-1")))
    }

    @Test(arguments: ["x-8x8-customer-id", "x-8x8-event-id", "x-8x8-retry"])
    func tamperedHeaderIsRefused(header: String) {
        let request = signer.request { $0.headers[header] = "7" }
        #expect(verdict(request) == .refused(.badSignature(kid: "kid-1")))
    }

    @Test func retimedWebhookIsRefused() {
        // A replay with a fresh transmission time: the signature covers tt.
        let request = signer.request(sentMs: t0 - 3_600_000) { $0.headers["x-8x8-transmission-time"] = String(t0) }
        #expect(verdict(request) == .refused(.badSignature(kid: "kid-1")))
    }

    @Test func wrongKeyIsRefused() {
        let forged = TestSigner(key: TestSigner.otherKey, kid: "kid-1")
        #expect(verdict(forged.request()) == .refused(.badSignature(kid: "kid-1")))
        let refusal = WebhookRefusal.badSignature(kid: "kid-1")
        #expect((refusal.status, refusal.code) == (401, "bad_signature"))
    }

    @Test func replayedWebhookIsRefused() {
        #expect(verdict(signer.request(sentMs: t0 - 301_000)) == .refused(.stale(ageSeconds: 301)))
        let refusal = WebhookRefusal.stale(ageSeconds: 301)
        #expect((refusal.status, refusal.code) == (401, "stale_webhook"))
    }

    @Test func theWindowIsConfigurable() {
        var strict = provider
        strict.webhookSignatures.maxAgeSeconds = 30
        #expect(verdict(signer.request(sentMs: t0 - 31_000), provider: strict) == .refused(.stale(ageSeconds: 31)))
        #expect(verdict(signer.request(sentMs: t0 - 29_000), provider: strict) == .accepted(.verified))
    }

    @Test func webhookFromTheFutureIsRefused() {
        #expect(verdict(signer.request(sentMs: t0 + 61_000)) == .refused(.fromTheFuture(aheadSeconds: 61)))
        #expect(WebhookRefusal.fromTheFuture(aheadSeconds: 61).code == "stale_webhook")
    }

    @Test func staleIsRefusedBeforeAnyKeyIsNeeded() {
        // An old webhook with an unknown kid must not cost a key fetch.
        #expect(verdict(signer.request(sentMs: t0 - 600_000), keys: [:]) == .refused(.stale(ageSeconds: 600)))
    }

    // MARK: refused 403

    @Test func otherTenantIsRefused() {
        let request = TestSigner().request(headers: ["x-8x8-tenant-id": "tenant-2"])
        #expect(verdict(request) == .refused(.wrongTenant))
        #expect(verdict(request, keys: [:]) == .refused(.wrongTenant))  // no key fetch for another tenant
        #expect((WebhookRefusal.wrongTenant.status, WebhookRefusal.wrongTenant.code) == (403, "wrong_tenant"))
    }

    // MARK: needs key

    @Test func unknownKidNeedsTheKey() {
        #expect(verdict(signer.request(), keys: [:]) == .needsKey(kid: "kid-1"))
        #expect(verdict(TestSigner(kid: "kid-2").request()) == .needsKey(kid: "kid-2"))
    }

    @Test func keyUnavailableIsA503WithRetryAfter() {
        let refusal = WebhookRefusal.keyUnavailable(kid: "k", retryAfterSeconds: 30)
        #expect((refusal.status, refusal.code) == (503, "signing_key_unavailable"))
        #expect(refusal.response.headers["retry-after"] == "30")
        #expect(refusal.response.contentType == "application/problem+json")
        #expect(refusal.response.jsonBody?["code"] == "signing_key_unavailable")
    }

    // MARK: which provider

    func config(_ providers: [GatewayProvider], defaultProvider: String) -> RelayCoreConfig {
        RelayCoreConfig(providers: Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0) }),
                        handovers: ["default": HandoverSettings(provider: defaultProvider, channelID: "c", queueID: "q")])
    }

    @Test func theSessionsProviderComesFirst() {
        let a = GatewayProvider(name: "a", baseURL: HTTPURL("https://a.test")!, apiKey: "k", tenant: "tenant-1")
        let b = GatewayProvider(name: "b", baseURL: HTTPURL("https://b.test")!, apiKey: "k", tenant: "tenant-2")
        let config = config([a, b], defaultProvider: "a")
        let request = signer.request(headers: ["x-8x8-tenant-id": "tenant-1"])
        #expect(WebhookAuthenticator.provider(for: request, sessionProvider: "b", config: config)?.name == "b")
        #expect(WebhookAuthenticator.provider(for: request, sessionProvider: "gone", config: config)?.name == "a")
    }

    @Test func thenTheProviderOfTheTenant() {
        let a = GatewayProvider(name: "a", baseURL: HTTPURL("https://a.test")!, apiKey: "k", tenant: "tenant-1")
        let b = GatewayProvider(name: "b", baseURL: HTTPURL("https://b.test")!, apiKey: "k", tenant: "tenant-2")
        let config = config([a, b], defaultProvider: "a")
        let request = signer.request(headers: ["x-8x8-tenant-id": "tenant-2"])
        #expect(WebhookAuthenticator.provider(for: request, sessionProvider: nil, config: config)?.name == "b")
    }

    @Test func thenTheDefaultHandoversProvider() {
        let a = GatewayProvider(name: "a", baseURL: HTTPURL("https://a.test")!, apiKey: "k", tenant: "tenant-1")
        let b = GatewayProvider(name: "b", baseURL: HTTPURL("https://b.test")!, apiKey: "k")
        let config = config([a, b], defaultProvider: "b")
        let request = signer.request(headers: ["x-8x8-tenant-id": "tenant-9"])
        #expect(WebhookAuthenticator.provider(for: request, sessionProvider: nil, config: config)?.name == "b")
        #expect(WebhookAuthenticator.provider(for: request, sessionProvider: nil, config: RelayCoreConfig()) == nil)
    }

    @Test func conversationIDIsReadWithoutValidatingTheRest() {
        #expect(WebhookAuthenticator.conversationID(of: signer.request()) == "X")
        #expect(WebhookAuthenticator.conversationID(of: signer.request(body: "not json")) == nil)
    }
}

@Suite struct WebhookVerificationCountsTests {
    @Test func countsByResult() {
        var counts = WebhookVerificationCounts()
        counts.count(.verified)
        counts.count(.verified)
        counts.count(WebhookRefusal.stale(ageSeconds: 400).result)
        counts.count(WebhookRefusal.malformed("x").result)
        #expect(counts[.verified] == 2 && counts[.stale] == 1 && counts[.badSignature] == 1 && counts[.unsigned] == 0)
        #expect(WebhookVerificationResult.allCases.map(\.rawValue)
            == ["verified", "unchecked", "unsigned", "bad_signature", "stale", "wrong_tenant", "key_unavailable"])
    }
}
