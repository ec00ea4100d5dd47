import HTTPModel
import RelayCrypto
import RelayJSON

extension GatewayRequests {
    /// `GET /chat-gateway/v1/jwk/{kid}/public`: the public key (JWK) that
    /// signs webhooks, authenticated like every other Chat Gateway call.
    public func signingKey(kid: String) -> OutboundRequest {
        var headers = ["x-api-key": provider.apiKey, "accept": "application/json"]
        if let tenant = provider.tenant { headers["x-8x8-tenant"] = tenant }
        let path = Self.apiPrefix + "/jwk/" + QueryString.percentEncode(kid) + "/public"
        return OutboundRequest(method: "GET", url: provider.baseURL.appending(path: path), headers: headers, timeoutMs: provider.timeoutMs)
    }
}

/// Reads the answer of ``GatewayRequests/signingKey(kid:)``.
public enum WebhookSigningKey {
    /// The RSA key in a JWK answer: a JWK object, or a JWK set
    /// (`{"keys":[…]}`) holding the `kid`. A `kid` inside the JWK must be the
    /// one asked for, so a misrouted answer cannot install the wrong key.
    public static func parse(_ body: [UInt8], kid: String) throws(JWKError) -> RSAPublicKey {
        guard let json = try? JSONValue.parse(bytes: body), case .object(var jwk) = json else {
            throw JWKError("JWK answer is not a JSON object")
        }
        if case .array(let set)? = jwk["keys"] {
            guard case .object(let member)? = set.first(where: { $0["kid"]?.stringValue == kid }) else {
                throw JWKError("JWK set has no key \"\(kid)\"")
            }
            jwk = member
        }
        if let named = jwk["kid"]?.stringValue, named != kid { throw JWKError("JWK is \"\(named)\", asked for \"\(kid)\"") }
        return try RSAPublicKey(jwk: jwk.compactMapValues(\.stringValue))
    }
}
