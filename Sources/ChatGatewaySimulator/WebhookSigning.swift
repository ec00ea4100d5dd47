import RelayCrypto
import RelayJSON

/// Signs the simulator's webhooks the way 8x8 does. The simulator holds one,
/// given by its host, and only ever calls ``sign(_:)``: key generation (slow
/// and random) stays out of the pure state machine, and tests can inject a
/// deterministic signer.
public protocol WebhookSigner: Sendable {
    /// The `kid` of the JWS header and of `GET /jwk/{kid}/public`.
    var kid: String { get }
    /// The public key as a JWK (with `kid`), served at `GET /jwk/{kid}/public`.
    var publicJWK: JSONValue { get }
    /// The RS256 signature of a JWS signing input.
    func sign(_ signingInput: [UInt8]) -> [UInt8]
}

/// The real thing: an RSA-2048 key made when the simulator starts.
public struct RSAWebhookSigner: WebhookSigner {
    public let kid: String
    private let key: RSAPrivateKey

    /// A fresh key pair with a random kid (`sim-<hex>`).
    public init() {
        self.init(kid: "sim-" + Crypto.randomBytes(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(), key: .generate())
    }

    public init(kid: String, key: RSAPrivateKey) {
        self.kid = kid
        self.key = key
    }

    public var publicJWK: JSONValue {
        var members = key.publicJWK.mapValues { JSONValue.string($0) }
        members["kid"] = .string(kid)
        return .object(members)
    }

    public func sign(_ signingInput: [UInt8]) -> [UInt8] { key.signRS256(signingInput) }
}

/// The `x-8x8-signature` header of one webhook POST: a JWS with detached,
/// unencoded payload over the CRC32 of the body and the `x-8x8-*` headers.
/// Written independently of the relay's verifier (the simulator never
/// imports RelayCore), so each checks the other.
enum WebhookSignatureHeader {
    static func make(signer: any WebhookSigner, body: [UInt8], headers: [String: String]) -> String {
        let protected = #"{"alg":"RS256","kid":"# + quoted(signer.kid) + #","b64":false,"crit":["b64"]}"#
        let encodedHeader = Base64URL.encode(Array(protected.utf8))
        let payload = "{\"checksum\":\(CRC32.checksum(body)),\"cid\":\(quoted(headers["x-8x8-customer-id"] ?? ""))"
            + ",\"eid\":\(quoted(headers["x-8x8-event-id"] ?? "")),\"retry\":\(headers["x-8x8-retry"] ?? "0")"
            + ",\"tid\":\(quoted(headers["x-8x8-tenant-id"] ?? "")),\"tt\":\(headers["x-8x8-transmission-time"] ?? "0")}"
        let signature = signer.sign(Array((encodedHeader + "." + payload).utf8))
        return encodedHeader + ".." + Base64URL.encode(signature)
    }

    /// A JSON string literal as common serializers (Jackson, JSON.stringify)
    /// write it: short escapes where JSON has them, `\u00XX` for other
    /// control characters, everything else verbatim.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0..<0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
