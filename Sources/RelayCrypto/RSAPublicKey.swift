import COpenSSL

/// Why a JSON Web Key could not become an RSA public key.
public struct JWKError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An RSA public key that checks RS256 signatures (8x8 webhook JWS).
public struct RSAPublicKey: Sendable {
    let key: EVPKey
    /// Modulus size in bits.
    public let bits: Int

    /// Keys below this size are refused: 8x8 signs with 2048-bit keys, and a
    /// smaller one is either a mistake or an attack.
    public static let minimumBits = 2048

    /// Builds the key from a JWK's members (RFC 7517/7518 §6.3.1): `kty`
    /// must be `RSA`, `n` and `e` base64url big-endian integers; when present,
    /// `alg` must be `RS256` and `use` must be `sig`. Other members are ignored.
    public init(jwk members: [String: String]) throws(JWKError) {
        guard let kty = members["kty"] else { throw JWKError("JWK has no \"kty\"") }
        guard kty == "RSA" else { throw JWKError("JWK \"kty\" is \"\(kty)\", expected \"RSA\"") }
        if let alg = members["alg"], alg != "RS256" { throw JWKError("JWK \"alg\" is \"\(alg)\", expected \"RS256\"") }
        if let use = members["use"], use != "sig" { throw JWKError("JWK \"use\" is \"\(use)\", expected \"sig\"") }
        let n = try Self.integer(members["n"], name: "n")
        let e = try Self.integer(members["e"], name: "e")
        let bits = Self.bitCount(n)
        guard bits >= Self.minimumBits else { throw JWKError("JWK modulus has \(bits) bits, at least \(Self.minimumBits) needed") }
        guard e.last.map({ $0 & 1 == 1 }) == true, Self.bitCount(e) > 1 else { throw JWKError("JWK exponent \"e\" is not an odd integer > 1") }
        guard let pointer = Self.makePublicKey(n: n, e: e) else { throw JWKError("libcrypto refused the RSA key") }
        self.key = EVPKey(pointer)
        self.bits = bits
    }

    init(key: EVPKey, bits: Int) {
        self.key = key
        self.bits = bits
    }

    /// True when `signature` is a valid RS256 signature of `message`.
    public func verifyRS256(signature: [UInt8], message: [UInt8]) -> Bool {
        key.verifySHA256(signature: signature, message: message)
    }

    private static func integer(_ text: String?, name: String) throws(JWKError) -> [UInt8] {
        guard let text, !text.isEmpty else { throw JWKError("JWK has no \"\(name)\"") }
        guard let bytes = Base64URL.decode(text) else { throw JWKError("JWK \"\(name)\" is not base64url") }
        let significant = Array(bytes.drop { $0 == 0 })
        guard !significant.isEmpty else { throw JWKError("JWK \"\(name)\" is zero") }
        return significant
    }

    private static func bitCount(_ bigEndian: [UInt8]) -> Int {
        guard let first = bigEndian.first else { return 0 }
        return (bigEndian.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    /// OpenSSL 3 way: the integers go into an OSSL_PARAM list, from which
    /// EVP_PKEY_fromdata builds the key (no deprecated RSA_* calls).
    private static func makePublicKey(n: [UInt8], e: [UInt8]) -> OpaquePointer? {
        defer { ERR_clear_error() }
        guard let bnN = BN_bin2bn(n, Int32(n.count), nil) else { return nil }
        defer { BN_free(bnN) }
        guard let bnE = BN_bin2bn(e, Int32(e.count), nil) else { return nil }
        defer { BN_free(bnE) }
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard OSSL_PARAM_BLD_push_BN(builder, copenssl_PKEY_PARAM_RSA_N, bnN) == 1,
              OSSL_PARAM_BLD_push_BN(builder, copenssl_PKEY_PARAM_RSA_E, bnE) == 1,
              let params = OSSL_PARAM_BLD_to_param(builder)
        else { return nil }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, copenssl_RSA, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &pkey, copenssl_EVP_PKEY_PUBLIC_KEY, params) == 1 else {
            if let pkey { EVP_PKEY_free(pkey) }
            return nil
        }
        return pkey
    }
}
