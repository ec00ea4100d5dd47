import COpenSSL

/// An RSA key pair that signs RS256, for the 8x8 simulator's webhooks (the
/// relay itself only verifies). Generated in memory, never written anywhere.
public struct RSAPrivateKey: Sendable {
    let key: EVPKey
    public let bits: Int

    /// A fresh key pair. Traps only if libcrypto cannot generate keys at all
    /// (no entropy), like ``Crypto/randomBytes(_:)``.
    public static func generate(bits: Int = 2048) -> RSAPrivateKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, copenssl_RSA, nil) else { preconditionFailure("libcrypto has no RSA") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1,
              EVP_PKEY_generate(ctx, &pkey) == 1, let pkey
        else { preconditionFailure("OpenSSL could not generate an RSA-\(bits) key") }
        return RSAPrivateKey(key: EVPKey(pkey), bits: bits)
    }

    /// The RS256 signature of `message`.
    public func signRS256(_ message: [UInt8]) -> [UInt8] {
        guard let signature = key.signSHA256(message: message) else { preconditionFailure("OpenSSL could not sign with an RSA key") }
        return signature
    }

    /// The public half as JWK members (`kty`, `n`, `e`, `alg`, `use`); the
    /// caller adds `kid`. Private members are never exported.
    public var publicJWK: [String: String] {
        let n = key.bigEndianParameter(copenssl_PKEY_PARAM_RSA_N) ?? []
        let e = key.bigEndianParameter(copenssl_PKEY_PARAM_RSA_E) ?? []
        return ["kty": "RSA", "n": Base64URL.encode(n), "e": Base64URL.encode(e), "alg": "RS256", "use": "sig"]
    }

    /// The public half, as the verifier sees it.
    public var publicKey: RSAPublicKey { RSAPublicKey(key: key, bits: bits) }
}
