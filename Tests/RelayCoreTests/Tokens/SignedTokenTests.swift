import RelayCrypto
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct SignedTokenTests {
    let secret = Array("signing-secret-0123".utf8)
    let payload: JSONValue = ["typ": "test", "n": 1, "list": ["a", "b"]]

    private func error(_ token: String, secret: [UInt8]? = nil) -> SignedToken.VerifyError? {
        do { _ = try SignedToken.payload(of: token, secret: secret ?? self.secret); return nil } catch { return error }
    }

    /// A token whose MAC is right for whatever `encodedPayload` is.
    private func signedRaw(_ encodedPayload: String) -> String {
        encodedPayload + "." + Base64URL.encode(Crypto.hmacSHA256(key: secret, message: Array(encodedPayload.utf8)))
    }

    @Test func roundTrip() throws {
        let token = SignedToken.sign(payload, secret: secret)
        #expect(try SignedToken.payload(of: token, secret: secret) == payload)
    }

    @Test func format() throws {
        let token = SignedToken.sign(payload, secret: secret)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        try #require(parts.count == 2)
        #expect(try #require(Base64URL.decode(parts[0])) == payload.serializedBytes)
        #expect(try #require(Base64URL.decode(parts[1])) == Crypto.hmacSHA256(key: secret, message: Array(parts[0].utf8)))
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        #expect(token == SignedToken.sign(payload, secret: secret))  // deterministic
        #expect(token != SignedToken.sign(payload, secret: Array("another-secret-xyz".utf8)))
    }

    @Test func wrongSecret() {
        let token = SignedToken.sign(payload, secret: secret)
        #expect(error(token, secret: Array("another-secret-xyz".utf8)) == .badSignature)
        #expect(error(token, secret: []) == .badSignature)
    }

    @Test func tamperedPayload() {
        let token = SignedToken.sign(payload, secret: secret)
        let mac = token.split(separator: ".")[1]
        let forged = Base64URL.encode((["typ": "test", "n": 2, "list": ["a", "b"]] as JSONValue).serializedBytes) + "." + mac
        #expect(error(forged) == .badSignature)
    }

    @Test func tamperedSignature() {
        let token = SignedToken.sign(payload, secret: secret)
        var chars = Array(token)
        chars[chars.count - 3] = chars[chars.count - 3] == "A" ? "B" : "A"
        #expect(error(String(chars)) == .badSignature)
        #expect(error(String(token.dropLast(3))) == .badSignature)  // truncated MAC (30 whole bytes)
        #expect(error(String(token.dropLast(4))) == .malformed)     // cut mid-byte: not canonical base64
        #expect(error(String(token.dropLast(2))) == .malformed)     // a dangling base64 character
        #expect(error(String(token.split(separator: ".")[0]) + ".") == .badSignature)  // empty MAC
    }

    @Test(arguments: ["", "abc", "a.b.c", "..", "payload.not base64!", "x.===", "a.b.c.d"])
    func malformed(token: String) {
        #expect(error(token) == .malformed)
    }

    @Test(arguments: [
        "not*base64",
        Base64URL.encode(Array("not json".utf8)),
        Base64URL.encode(Array("[1,2]".utf8)),
        Base64URL.encode(Array("\"string\"".utf8)),
        Base64URL.encode(Array("42".utf8)),
        "",
    ])
    func correctlySignedButNotAJSONObjectIsMalformed(encodedPayload: String) {
        #expect(error(signedRaw(encodedPayload)) == .malformed)
    }

    @Test func signatureIsCheckedBeforeThePayloadIsRead() {
        // A forged token over garbage says "bad signature", not "malformed": nothing is parsed before the MAC checks out.
        let mac = Base64URL.encode(Array(repeating: 0, count: 32))
        #expect(error("not*base64." + mac) == .badSignature)
    }
}
