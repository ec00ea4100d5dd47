import RelayCore
import RelayCrypto
import RelayJSON

/// Tokens from URLs and `Authorization` headers: `SignedToken.payload(of:)`,
/// `IntegratorToken.verify` and `CopilotToken.verify` on the input as a token,
/// then on a correctly signed token whose payload is the input (so the payload
/// JSON is reached too), and Base64URL round trips.
enum TokenFuzz {
    static let secret = Array("fuzz-secret-0123456789abcdef".utf8)
    static let now: Int64 = 1_700_000_000

    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        let text = input.lenientText
        verifyAll(text)

        // The input as the payload of a token with a valid signature.
        let encoded = Base64URL.encode(input)
        let signed = encoded + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, message: Array(encoded.utf8)))
        verifyAll(signed)
        let payload = try? SignedToken.payload(of: signed, secret: secret)
        if case .object? = try? JSONValue.parse(bytes: input) {
            check.expect(payload == (try? JSONValue.parse(bytes: input)), "a signed JSON object payload was not returned")
        } else {
            check.expect(payload == nil, "a signed non-object payload was accepted")
        }

        check.expect(Base64URL.decode(encoded) == input, "Base64URL round trip changed the bytes")
        // Only the canonical spelling decodes: no two token strings carry the same bytes.
        if let decoded = Base64URL.decode(text) {
            check.expect(Base64URL.encode(decoded) == text, "a non-canonical Base64URL spelling was accepted")
        }
    }

    private static func verifyAll(_ token: String) {
        _ = try? SignedToken.payload(of: token, secret: secret)
        _ = try? IntegratorToken.verify(token, nowSeconds: now, secret: secret)
        _ = try? CopilotToken.verify(token, sessionID: SessionID("s1"), role: "agent", nowSeconds: now, secret: secret)
    }
}
