import HTTPModel
import RelayCrypto
import RelayJSON

/// The `x-8x8-signature` header of an 8x8 webhook, parsed: a compact JWS
/// (RFC 7515) with a detached, unencoded payload (RFC 7797), i.e.
/// `base64url(protected header) + ".." + base64url(signature)`.
public struct WebhookSignature: Equatable, Sendable {
    /// The protected header exactly as sent: it is part of the signing input.
    public let encodedHeader: String
    /// Which 8x8 key signed (`GET /chat-gateway/v1/jwk/{kid}/public`).
    public let kid: String
    public let signature: [UInt8]

    public static let maxKidLength = 128

    /// The webhook headers the signed payload is built from.
    public enum Header {
        public static let signature = "x-8x8-signature"
        public static let tenantID = "x-8x8-tenant-id"
        public static let customerID = "x-8x8-customer-id"
        public static let eventID = "x-8x8-event-id"
        public static let retry = "x-8x8-retry"
        public static let transmissionTime = "x-8x8-transmission-time"
    }

    /// Parses the header. Only what 8x8 sends is accepted: `alg` RS256 (never
    /// `none` or HMAC, so a public key cannot be turned into a MAC secret),
    /// `b64` false with `crit` exactly `["b64"]`, a non-empty `kid`, and an
    /// empty (detached) payload part.
    public static func parse(_ header: String) throws(WebhookSignatureError) -> WebhookSignature {
        let parts = header.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("x-8x8-signature is not a compact JWS (header..signature)") }
        guard parts[1].isEmpty else { throw .malformed("x-8x8-signature must have a detached payload (an empty middle part)") }
        let encodedHeader = String(parts[0])
        guard let headerBytes = Base64URL.decode(encodedHeader), let json = try? JSONValue.parse(bytes: headerBytes),
              case .object(let fields) = json
        else { throw .malformed("x-8x8-signature protected header is not base64url JSON") }
        guard fields["alg"]?.stringValue == "RS256" else { throw .malformed("x-8x8-signature protected header \"alg\" must be RS256") }
        guard fields["b64"] == .bool(false) else { throw .malformed("x-8x8-signature protected header \"b64\" must be false") }
        guard fields["crit"] == .array(["b64"]) else { throw .malformed("x-8x8-signature protected header \"crit\" must be [\"b64\"]") }
        guard let kid = fields["kid"]?.stringValue, !kid.isEmpty else { throw .malformed("x-8x8-signature protected header has no \"kid\"") }
        // The kid goes into a URL and the logs: printable ASCII of a sane length only.
        guard kid.utf8.count <= maxKidLength, kid.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .malformed("x-8x8-signature protected header \"kid\" is not a printable id of at most \(maxKidLength) characters")
        }
        guard let signature = Base64URL.decode(String(parts[2])), !signature.isEmpty else {
            throw .malformed("x-8x8-signature signature is not base64url")
        }
        return WebhookSignature(encodedHeader: encodedHeader, kid: kid, signature: signature)
    }

    /// What 8x8 signs instead of the body: this exact JSON, keys in this
    /// order, no spaces,
    /// `{"checksum":C,"cid":"…","eid":"…","retry":R,"tid":"…","tt":T}`, where
    /// C is the CRC32 of the raw body in decimal and the rest are the
    /// `x-8x8-*` headers. Strings are JSON-escaped (quote, backslash, control
    /// characters); numbers are re-rendered as plain decimals.
    public static func signedPayload(body: [UInt8], headers: [String: String]) throws(WebhookSignatureError) -> [UInt8] {
        func text(_ name: String) throws(WebhookSignatureError) -> String {
            guard let value = headers[name] else { throw .malformed("header \(name) is missing") }
            return value
        }
        func number(_ name: String) throws(WebhookSignatureError) -> Int64 {
            guard let value = Int64(try text(name)), value >= 0 else { throw .malformed("header \(name) must be a non-negative integer") }
            return value
        }
        let retry = try number(Header.retry)
        let transmissionTime = try number(Header.transmissionTime)
        var out = "{\"checksum\":\(CRC32.checksum(body))"
        out += ",\"cid\":" + jsonString(try text(Header.customerID))
        out += ",\"eid\":" + jsonString(try text(Header.eventID))
        out += ",\"retry\":\(retry)"
        out += ",\"tid\":" + jsonString(try text(Header.tenantID))
        out += ",\"tt\":\(transmissionTime)}"
        return Array(out.utf8)
    }

    /// `base64url(protected header) + "." + payload` (RFC 7797: the payload goes in unencoded).
    public func signingInput(payload: [UInt8]) -> [UInt8] {
        Array(encodedHeader.utf8) + [UInt8(ascii: ".")] + payload
    }

    /// A JSON string literal as 8x8's serializer writes it: `"` and `\`
    /// escaped, control characters as short escapes or `\u00XX`, everything
    /// else (including `/` and non-ASCII) verbatim. Not RelayJSON's escaping,
    /// which writes `\b` as `\u0008` and escapes U+2028: the signed bytes must
    /// be 8x8's, byte for byte.
    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A signature header that cannot be checked at all (answered 401 `bad_signature`).
public enum WebhookSignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let why): why
        }
    }
}
