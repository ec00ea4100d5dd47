/// The RFC 6455 §4.2.1 checks of an upgrade request that libwebsockets 4.1
/// leaves out: it answers `101` to any `Sec-WebSocket-Version` and any
/// `Sec-WebSocket-Key`, and drops the socket without a word when the key is
/// missing. The shell asks this before accepting an upgrade.
public enum WebSocketHandshake {
    public struct Refusal: Equatable, Sendable {
        public let status: Int
        public let reason: String
        /// Extra response headers (426 names the version we speak, §4.4).
        public let headers: [String: String]
    }

    public static let version = "13"

    /// Why the upgrade must be refused, or nil to go ahead.
    public static func refusal(key: String?, version: String?) -> Refusal? {
        guard version == Self.version else {
            return Refusal(status: 426, reason: "unsupported WebSocket version \"\((version ?? "none").prefix(16))\"; this server speaks 13",
                           headers: ["Sec-WebSocket-Version": Self.version])
        }
        guard let key, isValidKey(key) else {
            return Refusal(status: 400, reason: "Sec-WebSocket-Key must be 16 random bytes in base64", headers: [:])
        }
        return nil
    }

    /// Base64 of exactly 16 bytes: 22 alphabet characters and "==" (§4.1: the nonce).
    public static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        return bytes[..<22].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): true
            default: false
            }
        }
    }
}
