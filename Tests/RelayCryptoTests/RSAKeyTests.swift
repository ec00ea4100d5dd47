import RelayCrypto
import Testing

@Suite struct RSAKeyTests {
    /// One generated key for the suite: generating RSA keys is slow.
    static let pair = RSAPrivateKey.generate()
    static let other = RSAPrivateKey.generate()

    @Test func verifiesASignatureMadeByTheOpenSSLCLI() throws {
        let fixture = try OpenSSLFixture.load()
        let key = try RSAPublicKey(jwk: fixture.jwk)
        #expect(key.bits == 2048)
        let signature = try #require(Base64URL.decode(fixture.signature))
        #expect(key.verifyRS256(signature: signature, message: fixture.signingInput))
        var tampered = fixture.signingInput
        tampered[tampered.count - 2] ^= 1
        #expect(!key.verifyRS256(signature: signature, message: tampered))
    }

    @Test func signThenVerifyRoundTrip() throws {
        let message = Array("eyJhbGciOiJSUzI1NiJ9.{\"checksum\":1}".utf8)
        let signature = Self.pair.signRS256(message)
        #expect(signature.count == 256)
        // Through the exported JWK, as a verifier on the other side would see it.
        let verifier = try RSAPublicKey(jwk: Self.pair.publicJWK)
        #expect(verifier.verifyRS256(signature: signature, message: message))
        #expect(Self.pair.publicKey.verifyRS256(signature: signature, message: message))
    }

    @Test func tamperedPayloadOrSignatureIsRefused() {
        let message = Array("payload".utf8)
        var signature = Self.pair.signRS256(message)
        #expect(!Self.pair.publicKey.verifyRS256(signature: signature, message: Array("paylоad".utf8)))
        #expect(!Self.pair.publicKey.verifyRS256(signature: signature, message: message + [0]))
        signature[10] ^= 0x40
        #expect(!Self.pair.publicKey.verifyRS256(signature: signature, message: message))
        #expect(!Self.pair.publicKey.verifyRS256(signature: [], message: message))
        #expect(!Self.pair.publicKey.verifyRS256(signature: Array(signature.prefix(100)), message: message))
    }

    @Test func wrongKeyIsRefused() {
        let message = Array("payload".utf8)
        #expect(!Self.other.publicKey.verifyRS256(signature: Self.pair.signRS256(message), message: message))
    }

    @Test func exportedJWKHasOnlyPublicMembers() {
        let jwk = Self.pair.publicJWK
        #expect(Set(jwk.keys) == ["kty", "n", "e", "alg", "use"])
        #expect(jwk["e"] == "AQAB")
        #expect(Base64URL.decode(jwk["n"] ?? "")?.count == 256)
    }

    @Test(arguments: [
        (["n": "x", "e": "AQAB"], "JWK has no \"kty\""),
        (["kty": "EC", "n": "x", "e": "AQAB"], "JWK \"kty\" is \"EC\", expected \"RSA\""),
        (["kty": "RSA", "e": "AQAB"], "JWK has no \"n\""),
        (["kty": "RSA", "n": "", "e": "AQAB"], "JWK has no \"n\""),
        (["kty": "RSA", "n": "a+b/", "e": "AQAB"], "JWK \"n\" is not base64url"),
        (["kty": "RSA", "n": "AAAA", "e": "AQAB"], "JWK \"n\" is zero"),
        (["kty": "RSA", "n": "AQAB", "e": "AQAB"], "JWK modulus has 17 bits, at least 2048 needed"),
        (["kty": "RSA", "alg": "HS256", "n": "AQAB", "e": "AQAB"], "JWK \"alg\" is \"HS256\", expected \"RS256\""),
        (["kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"], "JWK \"use\" is \"enc\", expected \"sig\""),
    ])
    func malformedJWKIsRefusedWithAClearError(jwk: [String: String], message: String) {
        #expect(throws: JWKError(message)) { try RSAPublicKey(jwk: jwk) }
    }

    @Test func evenOrMissingExponentIsRefused() throws {
        var jwk = Self.pair.publicJWK
        jwk["e"] = "AQAA"  // 65536: even
        #expect(throws: JWKError("JWK exponent \"e\" is not an odd integer > 1")) { try RSAPublicKey(jwk: jwk) }
        jwk["e"] = nil
        #expect(throws: JWKError("JWK has no \"e\"")) { try RSAPublicKey(jwk: jwk) }
    }
}
