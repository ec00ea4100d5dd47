import HTTPModel

/// What the relay decides about one incoming 8x8 webhook before the engine sees it.
public enum WebhookVerdict: Equatable, Sendable {
    /// Authentic (or the provider's verification is off): hand it to the engine.
    case accepted(WebhookVerificationResult)
    /// Refused: answer with ``WebhookRefusal/response``.
    case refused(WebhookRefusal)
    /// Everything checks out so far, but the key `kid` is not known yet:
    /// fetch it from the provider, then decide again.
    case needsKey(kid: String)
}

/// Why a webhook was refused. Messages never contain the body or a secret.
public enum WebhookRefusal: Equatable, Sendable {
    /// No `x-8x8-signature` header.
    case unsigned
    /// The signature header or the headers it covers cannot be checked.
    case malformed(String)
    /// The signature does not verify with the key named by `kid`.
    case badSignature(kid: String)
    /// 8x8 has no key `kid` (its JWK endpoint answered 404): not 8x8's signature.
    case unknownKey(kid: String)
    /// `x-8x8-transmission-time` is older than the allowed window (a replay).
    case stale(ageSeconds: Int64)
    /// `x-8x8-transmission-time` is further in the future than clock skew explains.
    case fromTheFuture(aheadSeconds: Int64)
    /// `x-8x8-tenant-id` is not the provider's configured tenant.
    case wrongTenant
    /// The key for `kid` could not be fetched; 8x8 should redeliver later.
    case keyUnavailable(kid: String, retryAfterSeconds: Int)

    public var status: Int {
        switch self {
        case .unsigned, .malformed, .badSignature, .unknownKey, .stale, .fromTheFuture: 401
        case .wrongTenant: 403
        case .keyUnavailable: 503
        }
    }

    /// The problem document's `code` (docs/PROTOCOL.md).
    public var code: String {
        switch self {
        case .unsigned: "unsigned_webhook"
        case .malformed, .badSignature, .unknownKey: "bad_signature"
        case .stale, .fromTheFuture: "stale_webhook"
        case .wrongTenant: "wrong_tenant"
        case .keyUnavailable: "signing_key_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .unsigned: "webhook has no x-8x8-signature header"
        case .malformed(let why): why
        case .badSignature: "x-8x8-signature does not verify"
        case .unknownKey: "x-8x8-signature names a key 8x8 does not have"
        case .stale(let age): "x-8x8-transmission-time is \(age) s old"
        case .fromTheFuture(let ahead): "x-8x8-transmission-time is \(ahead) s in the future"
        case .wrongTenant: "x-8x8-tenant-id is not this provider's tenant"
        case .keyUnavailable: "the signing key cannot be fetched from 8x8 right now; retry later"
        }
    }

    /// The counter this refusal increments.
    public var result: WebhookVerificationResult {
        switch self {
        case .unsigned: .unsigned
        case .malformed, .badSignature, .unknownKey: .badSignature
        case .stale, .fromTheFuture: .stale
        case .wrongTenant: .wrongTenant
        case .keyUnavailable: .keyUnavailable
        }
    }

    /// The answer to 8x8: problem+json; a 503 says when to try again.
    public var response: HTTPResponse {
        var response = HTTPResponse.problem(status, code: code, message: message)
        if case .keyUnavailable(_, let seconds) = self { response.headers["retry-after"] = String(max(1, seconds)) }
        return response
    }
}

/// Webhook verification outcomes, the label of ``WebhookVerificationCounts``.
public enum WebhookVerificationResult: String, CaseIterable, Sendable {
    /// Signature valid.
    case verified
    /// Verification is off for the provider (local simulators).
    case unchecked
    case unsigned
    case badSignature = "bad_signature"
    case stale
    case wrongTenant = "wrong_tenant"
    case keyUnavailable = "key_unavailable"
}

/// How many webhooks ended with each verification result, for logs and metrics.
public struct WebhookVerificationCounts: Equatable, Sendable {
    public private(set) var byResult: [WebhookVerificationResult: Int] = [:]

    public init() {}

    public mutating func count(_ result: WebhookVerificationResult) { byResult[result, default: 0] += 1 }

    public subscript(_ result: WebhookVerificationResult) -> Int { byResult[result] ?? 0 }
}
