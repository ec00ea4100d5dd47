import HTTPModel
import RelayCrypto

/// Decides whether an incoming 8x8 webhook is authentic. Pure: the request,
/// the provider it belongs to, the keys known so far and the time go in, a
/// ``WebhookVerdict`` comes out; fetching keys is the shell's business.
public enum WebhookAuthenticator {
    /// Checks, cheapest first, so that junk never costs a key fetch or an RSA
    /// operation: signature header present and well-formed, tenant, freshness,
    /// then the key and the signature itself.
    ///
    /// - Parameter key: the cached key for a `kid`, if any.
    public static func verify(_ request: HTTPRequest, provider: GatewayProvider, nowMs: Int64,
                              key: (String) -> RSAPublicKey?) -> WebhookVerdict {
        let policy = provider.webhookSignatures
        guard policy.mode == .required else { return .accepted(.unchecked) }
        guard let header = request.header(WebhookSignature.Header.signature), !header.isEmpty else { return .refused(.unsigned) }
        let signature: WebhookSignature
        let payload: [UInt8]
        do {
            signature = try WebhookSignature.parse(header)
            payload = try WebhookSignature.signedPayload(body: request.body, headers: request.headers)
        } catch {
            return .refused(.malformed(error.description))
        }
        // The tenant header is covered by the signature, so once it verifies a mismatch is a real other-tenant event.
        if let tenant = provider.tenant, request.header(WebhookSignature.Header.tenantID) != tenant {
            return .refused(.wrongTenant)
        }
        // signedPayload already checked it is an integer.
        let sentMs = Int64(request.header(WebhookSignature.Header.transmissionTime) ?? "") ?? 0
        if nowMs - sentMs > Int64(policy.maxAgeSeconds) * 1000 { return .refused(.stale(ageSeconds: (nowMs - sentMs) / 1000)) }
        if sentMs - nowMs > Int64(policy.maxFutureSkewSeconds) * 1000 {
            return .refused(.fromTheFuture(aheadSeconds: (sentMs - nowMs) / 1000))
        }
        guard let publicKey = key(signature.kid) else { return .needsKey(kid: signature.kid) }
        guard publicKey.verifyRS256(signature: signature.signature, message: signature.signingInput(payload: payload)) else {
            return .refused(.badSignature(kid: signature.kid))
        }
        return .accepted(.verified)
    }

    /// The provider whose key and tenant a webhook is checked against: the
    /// provider of the conversation's session when the relay knows it, else
    /// the provider whose `tenant` is the webhook's `x-8x8-tenant-id`, else
    /// the default handover's provider. Nil only when none is configured.
    public static func provider(for request: HTTPRequest, sessionProvider: String?, config: RelayCoreConfig) -> GatewayProvider? {
        if let name = sessionProvider, let provider = config.providers[name] { return provider }
        if let tenant = request.header(WebhookSignature.Header.tenantID),
           let provider = config.providers.values.sorted(by: { $0.name < $1.name }).first(where: { $0.tenant == tenant }) {
            return provider
        }
        if let name = config.handovers[config.defaultHandover]?.provider, let provider = config.providers[name] { return provider }
        return config.providers.values.sorted(by: { $0.name < $1.name }).first
    }

    /// The `conversationId` of a webhook body, without validating the rest
    /// (that is the engine's job, after authentication).
    public static func conversationID(of request: HTTPRequest) -> String? {
        request.jsonBody?["conversationId"]?.stringValue
    }
}
