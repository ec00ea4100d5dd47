import HTTPModel
import Logging
import RelayCore

/// Authenticates 8x8 webhooks before the engine sees them (the decisions
/// are ``WebhookAuthenticator``'s and ``WebhookKeyCache``'s; this class does
/// the I/O): fetches unknown signing keys from the provider with
/// `loop.call`, parks the webhooks that wait for a key, answers refusals,
/// logs and counts every outcome.
final class WebhookVerification {
    typealias Accept = (HTTPRequest, @escaping (HTTPResponse) -> Void) -> Void

    private struct Parked {
        var request: HTTPRequest
        var respond: (HTTPResponse) -> Void
        var accept: Accept
    }

    /// Webhooks parked per key, and overall: beyond these they get a 503 at once.
    static let maxParkedPerKey = 64
    static let maxParked = 512

    private let loop: ServiceLoop
    private let logger: Logger
    private var cache = WebhookKeyCache()
    private var parked: [WebhookKeyCache.KeyRef: [Parked]] = [:]
    private var parkedCount = 0
    /// Verification outcomes, for the metrics endpoint.
    var counts = WebhookVerificationCounts()

    init(loop: ServiceLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
    }

    /// Calls `accept` with the webhook if it is authentic (now, or once its
    /// key is fetched); otherwise answers it with a problem document.
    func admit(_ request: HTTPRequest, provider: GatewayProvider?, respond: @escaping (HTTPResponse) -> Void, accept: @escaping Accept) {
        // No provider at all: nothing to verify against, the engine ignores the event anyway.
        guard let provider else { return accept(request, respond) }
        let nowMs = LoopClock.wallMs()
        let verdict = WebhookAuthenticator.verify(request, provider: provider, nowMs: nowMs) { kid in
            cache.key(.init(provider: provider.name, kid: kid))
        }
        switch verdict {
        case .accepted(let result):
            counts.count(result)
            accept(request, respond)
        case .refused(let refusal):
            refuse(request, refusal, provider: provider, respond: respond)
        case .needsKey(let kid):
            let ref = WebhookKeyCache.KeyRef(provider: provider.name, kid: kid)
            switch cache.lookup(ref, nowMs: nowMs) {
            case .fetch:
                park(ref, Parked(request: request, respond: respond, accept: accept), provider: provider)
                fetch(ref, provider: provider)
            case .wait:
                park(ref, Parked(request: request, respond: respond, accept: accept), provider: provider)
            case .unavailable(let retryAfterMs):
                refuse(request, .keyUnavailable(kid: kid, retryAfterSeconds: Self.seconds(retryAfterMs)), provider: provider, respond: respond)
            case .unknown:
                refuse(request, .unknownKey(kid: kid), provider: provider, respond: respond)
            }
        }
    }

    private func park(_ ref: WebhookKeyCache.KeyRef, _ webhook: Parked, provider: GatewayProvider) {
        guard parkedCount < Self.maxParked, parked[ref, default: []].count < Self.maxParkedPerKey else {
            return refuse(webhook.request, .keyUnavailable(kid: ref.kid, retryAfterSeconds: 5), provider: provider, respond: webhook.respond)
        }
        parked[ref, default: []].append(webhook)
        parkedCount += 1
    }

    private func fetch(_ ref: WebhookKeyCache.KeyRef, provider: GatewayProvider) {
        let request = GatewayRequests(provider: provider).signingKey(kid: ref.kid)
        logger.notice("fetching 8x8 webhook signing key", metadata: ["provider": "\(provider.name)", "kid": "\(ref.kid)"])
        loop.call(request) { [weak self] result in
            self?.fetched(ref, provider: provider, result: result)
        }
    }

    private func fetched(_ ref: WebhookKeyCache.KeyRef, provider: GatewayProvider, result: OutboundResult) {
        let nowMs = LoopClock.wallMs()
        let waiting = parked.removeValue(forKey: ref) ?? []
        parkedCount -= waiting.count
        let failure: String
        var notFound = false
        switch result {
        case .response(let status, let body) where (200..<300).contains(status):
            do {
                cache.fetchSucceeded(ref, key: try WebhookSigningKey.parse(body, kid: ref.kid))
                logger.notice("8x8 webhook signing key cached", metadata: ["provider": "\(provider.name)", "kid": "\(ref.kid)"])
                // Decide again: each webhook is now accepted or refused on its signature.
                for webhook in waiting { admit(webhook.request, provider: provider, respond: webhook.respond, accept: webhook.accept) }
                return
            } catch {
                failure = error.description
            }
        case .response(404, _):
            failure = "8x8 has no such key (404)"
            notFound = true
        case .response(let status, _):
            failure = "status \(status)"
        case .transportError(let reason):
            failure = reason
        }
        let backoffMs = cache.fetchFailed(ref, nowMs: nowMs, notFound: notFound)
        logger.warning(notFound ? "8x8 has no such webhook signing key; webhooks naming it are refused as forged"
                                : "cannot fetch 8x8 webhook signing key; webhooks signed with it get 503 until it can be fetched",
                       metadata: ["provider": "\(provider.name)", "kid": "\(ref.kid)", "error": "\(failure)",
                                  "retryInMs": "\(backoffMs)"])
        let refusal: WebhookRefusal = notFound ? .unknownKey(kid: ref.kid)
            : .keyUnavailable(kid: ref.kid, retryAfterSeconds: Self.seconds(backoffMs))
        for webhook in waiting { refuse(webhook.request, refusal, provider: provider, respond: webhook.respond) }
    }

    /// Answers a refusal, counted and logged without the body or any secret.
    private func refuse(_ request: HTTPRequest, _ refusal: WebhookRefusal, provider: GatewayProvider, respond: (HTTPResponse) -> Void) {
        counts.count(refusal.result)
        logger.warning("refused 8x8 webhook", metadata: [
            "provider": "\(provider.name)", "status": "\(refusal.status)", "code": "\(refusal.code)", "reason": "\(refusal.message)",
            "event": "\(request.header(WebhookSignature.Header.eventID) ?? "-")",
        ])
        respond(refusal.response)
    }

    private static func seconds(_ ms: Int64) -> Int { Int(max(1, (ms + 999) / 1000)) }
}

extension RelayHost {
    /// 8x8 webhooks by verification result since start (for the metrics endpoint).
    public var webhookVerificationCounts: WebhookVerificationCounts { webhookVerification.counts }
}
