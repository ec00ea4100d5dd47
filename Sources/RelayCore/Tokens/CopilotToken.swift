import RelayCrypto
import RelayJSON

/// The signed `URLToken` of a copilot link: `base64url(payload).base64url(HMAC-SHA256)`,
/// payload `{"sid":…,"role":"agent","exp":<unix seconds>}`. Binding the session
/// id means a token for one session opens no other.
public enum CopilotToken {
    public static func sign(sessionID: SessionID, role: String, expiresAt: Int64, secret: [UInt8]) -> String {
        let payload: JSONValue = ["sid": .string(sessionID.rawValue), "role": .string(role), "exp": JSONValue(expiresAt)]
        let encoded = Base64URL.encode(payload.serializedBytes)
        let mac = Crypto.hmacSHA256(key: secret, message: Array(encoded.utf8))
        return encoded + "." + Base64URL.encode(mac)
    }

    public enum VerifyError: Error, Equatable, Sendable { case malformed, badSignature, expired, wrongSession, wrongRole }

    public static func verify(_ token: String, sessionID: SessionID, role: String, nowSeconds: Int64,
                              secret: [UInt8]) throws(VerifyError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64URL.decode(String(parts[1])) else { throw .malformed }
        let expected = Crypto.hmacSHA256(key: secret, message: Array(parts[0].utf8))
        guard Crypto.constantTimeEqual(mac, expected) else { throw .badSignature }
        guard let bytes = Base64URL.decode(String(parts[0])), let payload = try? JSONValue.parse(bytes: bytes) else { throw .malformed }
        guard let exp = payload["exp"]?.int64Value, exp > nowSeconds else { throw .expired }
        guard payload["sid"]?.stringValue == sessionID.rawValue else { throw .wrongSession }
        guard payload["role"]?.stringValue == role else { throw .wrongRole }
    }
}
