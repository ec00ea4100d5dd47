import RelayCrypto
import RelayJSON

/// The relay's token format: `base64url(JSON payload).base64url(HMAC-SHA256)`.
/// Copilot links and integrator tokens are both this, told apart by their
/// payload (`role` for copilot links, `typ: "integrator"` for integrators).
public enum SignedToken {
    public static func sign(_ payload: JSONValue, secret: [UInt8]) -> String {
        let encoded = Base64URL.encode(payload.serializedBytes)
        return encoded + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, message: Array(encoded.utf8)))
    }

    public enum VerifyError: Error, Equatable, Sendable { case malformed, badSignature }

    /// The payload, once the signature checks out (constant-time compare).
    public static func payload(of token: String, secret: [UInt8]) throws(VerifyError) -> JSONValue {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64URL.decode(String(parts[1])) else { throw .malformed }
        let expected = Crypto.hmacSHA256(key: secret, message: Array(parts[0].utf8))
        guard Crypto.constantTimeEqual(mac, expected) else { throw .badSignature }
        guard let bytes = Base64URL.decode(String(parts[0])), let payload = try? JSONValue.parse(bytes: bytes),
              case .object = payload else { throw .malformed }
        return payload
    }
}
