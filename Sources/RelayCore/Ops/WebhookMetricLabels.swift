import HTTPModel
import RelayJSON

/// The labels of `relay_webhook_events_total{type,result}` for one
/// `POST /webhooks/8x8`, from its body and the relay's answer. Both label
/// sets are closed (unknown event types count as `other`), so a sender
/// cannot grow the metric's cardinality.
public enum WebhookMetricLabels {
    /// The 8x8 `eventType` in snake case, `other` for types the relay does
    /// not know, `unparseable` when the body has none.
    ///
    /// Read with ``firstStringValue(forKey:in:)``, not a second JSON parse:
    /// the engine parses the body already, and a parse here would double
    /// that (about as costly as the rest of a webhook's handling). A body
    /// crafted to fool the scan can only change a label, never what the
    /// relay does with the event.
    public static func type(ofBody body: [UInt8]) -> String {
        guard let eventType = firstStringValue(forKey: "eventType", in: body) else { return "unparseable" }
        return knownTypes[eventType] ?? "other"
    }

    static let knownTypes: [String: String] = [
        "WEB_HOOK_VERIFY": "verify", "CONVERSATION_UPDATE": "conversation_update", "QUEUED": "queued",
        "MEMBERS_CHANGED": "members_changed", "TRANSFER": "transfer", "MESSAGE": "message", "ACTIVITY": "activity",
    ]

    /// What the relay made of the event: `accepted`, `duplicate`, `ignored`
    /// (unknown conversation), `verified` (8x8's URL check) or `bad_webhook`
    /// (400). Refusals before the engine sees the event — signature
    /// verification (401/403) — are labelled by status here:
    /// `unauthenticated`/`forbidden`; a verifier may report finer results
    /// through ``result(ofStatus:code:)``'s `code`.
    public static func result(of response: HTTPResponse) -> String {
        guard response.status == 200 else {
            return result(ofStatus: response.status, code: firstStringValue(forKey: "code", in: response.body))
        }
        switch firstStringValue(forKey: "status", in: response.body) {
        case "accepted": return "accepted"
        case "duplicate": return "duplicate"
        case "ignored": return "ignored"
        case "verified": return "verified"
        default: return "ok"
        }
    }

    /// A refusal's label. `code` is the problem document's code; only the
    /// ones listed in ``refusalCodes`` become labels (bounded cardinality).
    public static func result(ofStatus status: Int, code: String?) -> String {
        if let code, refusalCodes.contains(code) { return code }
        switch status {
        case 400: return "bad_webhook"
        case 401: return "unauthenticated"
        case 403: return "forbidden"
        case 503: return "store_unavailable"
        default: return "status_\(status / 100)xx"
        }
    }

    /// Problem codes that are label values of their own: the engine's, and
    /// the signature check's refusals (401 `unsigned_webhook`,
    /// `bad_signature`, `stale_webhook`; 403 `wrong_tenant`; 503
    /// `signing_key_unavailable`). A code not listed here is counted by its
    /// status, so a new refusal is never lost, only coarser until added.
    public static let refusalCodes: Set<String> = [
        "bad_webhook", "store_unavailable",
        "unsigned_webhook", "bad_signature", "stale_webhook", "wrong_tenant", "signing_key_unavailable",
    ]

    /// The value of the first `"key": "value"` pair in a JSON text, when the
    /// value is a string without escapes (event types and status words are).
    /// A quoted `key` inside another string cannot match: there its quotes
    /// are escaped (`\"key\"`), so no `"` directly follows it.
    static func firstStringValue(forKey key: String, in json: [UInt8]) -> String? {
        let pattern = Array("\"\(key)\"".utf8)
        guard json.count > pattern.count else { return nil }
        var start = 0
        while let found = index(of: pattern, in: json, from: start) {
            start = found + 1
            if found > 0, json[found - 1] == UInt8(ascii: "\\") { continue }
            var i = found + pattern.count
            i = skipWhitespace(json, i)
            guard i < json.count, json[i] == UInt8(ascii: ":") else { continue }
            i = skipWhitespace(json, i + 1)
            guard i < json.count, json[i] == UInt8(ascii: "\"") else { return nil }
            let valueStart = i + 1
            var end = valueStart
            while end < json.count, json[end] != UInt8(ascii: "\""), json[end] != UInt8(ascii: "\\") { end += 1 }
            guard end < json.count, json[end] == UInt8(ascii: "\"") else { return nil }
            return String(decoding: json[valueStart..<end], as: UTF8.self)
        }
        return nil
    }

    private static func index(of pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard start <= bytes.count - pattern.count else { return nil }
        var i = start
        while i <= bytes.count - pattern.count {
            if bytes[i] == pattern[0], bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    private static func skipWhitespace(_ bytes: [UInt8], _ start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        return i
    }
}
