import COpenSSL

/// Owns one libcrypto `EVP_PKEY` and frees it when the last reference goes.
///
/// The pointer never leaves RelayCrypto. `@unchecked Sendable`: the key is
/// never mutated after it is built, and OpenSSL 3 allows concurrent
/// sign/verify operations on one `EVP_PKEY` (each operation has its own
/// `EVP_MD_CTX`).
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// The big-endian bytes of an integer parameter of the key ("n", "e", …), nil when absent.
    func bigEndianParameter(_ name: UnsafePointer<CChar>) -> [UInt8]? {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &bn) == 1, let bn else {
            ERR_clear_error()
            return nil
        }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: (Int(BN_num_bits(bn)) + 7) / 8)
        let written = Int(BN_bn2bin(bn, &bytes))
        return Array(bytes.prefix(written))
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature check. Any libcrypto
    /// error counts as "not valid"; the thread's error queue is cleared so
    /// one bad signature cannot leave errors behind for an unrelated caller.
    func verifySHA256(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(ctx)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, pointer) == 1 else { return false }
        return EVP_DigestVerify(ctx, signature, signature.count, message, message.count) == 1
    }

    /// RS256 signature with this (private) key; nil only if libcrypto fails.
    func signSHA256(message: [UInt8]) -> [UInt8]? {
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        defer {
            EVP_MD_CTX_free(ctx)
            ERR_clear_error()
        }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, pointer) == 1 else { return nil }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, message, message.count) == 1 else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, message, message.count) == 1 else { return nil }
        return Array(signature.prefix(length))
    }
}
