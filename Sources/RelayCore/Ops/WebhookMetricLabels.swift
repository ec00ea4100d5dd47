import HTTPModel
import RelayJSON

/// The labels of `relay_webhook_events_total{type,result}` for one
/// `POST /webhooks/8x8`, from its body and the relay's answer. Both label
/// sets are closed (unknown event types count as `other`), so a sender
/// cannot grow the metric's cardinality.
public enum WebhookMetricLabels {
    /// The 8x8 `eventType` in snake case, `other` for types the relay does
    /// not know, `unparseable` when the body is not a JSON object with one.
    public static func type(ofBody body: [UInt8]) -> String {
        guard let eventType = (try? JSONValue.parse(bytes: body))?["eventType"]?.stringValue else { return "unparseable" }
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
            return result(ofStatus: response.status, code: response.jsonBody?["code"]?.stringValue)
        }
        switch response.jsonBody?["status"]?.stringValue {
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

    /// Problem codes that are label values of their own. The hook for the
    /// signature check: add its refusal codes (e.g. `bad_signature`,
    /// `replayed`, `wrong_tenant`) here and they are counted apart.
    public static let refusalCodes: Set<String> = ["bad_webhook", "store_unavailable"]
}
