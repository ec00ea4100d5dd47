import HTTPModel
import RelayJSON

/// A Chat Gateway v1 webhook, parsed. Unknown event types and activities are
/// kept as `.other` so they are acknowledged (8x8 retries anything non-2xx)
/// but change nothing.
public struct WebhookEvent: Equatable, Sendable {
    /// `x-8x8-event-id`: the idempotency key (nil when the header is missing).
    public var eventID: String?
    public var conversationID: String?
    public var timestamp: Int64?
    public var kind: Kind

    public enum Kind: Equatable, Sendable {
        case verify
        case conversationUpdate(state: String?, assignmentType: String?, assignmentID: String?)
        case queued(queueID: String?, queueName: String?)
        case membersChanged(memberType: String, change: String, id: String?)
        case transfer
        case message(isEcho: Bool, senderType: String?, senderID: String?, text: String)
        case typing(active: Bool, userIDs: [String])
        case other(eventType: String)
    }

    public init(eventID: String? = nil, conversationID: String? = nil, timestamp: Int64? = nil, kind: Kind) {
        self.eventID = eventID
        self.conversationID = conversationID
        self.timestamp = timestamp
        self.kind = kind
    }
}

/// Why a webhook body was rejected (answered with 400).
public struct WebhookParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension WebhookEvent {
    /// Parses the raw body and headers of `POST /webhooks/8x8`.
    public static func parse(body: [UInt8], headers: [String: String]) throws(WebhookParseError) -> WebhookEvent {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: body)
        } catch {
            throw WebhookParseError(message: "body is not JSON: \(error)")
        }
        guard case .object = json else { throw WebhookParseError(message: "body must be a JSON object") }
        guard let eventType = json["eventType"]?.stringValue else { throw WebhookParseError(message: "missing 'eventType'") }
        let data = json["data"] ?? .object([:])
        var event = WebhookEvent(
            eventID: headers["x-8x8-event-id"], conversationID: json["conversationId"]?.stringValue,
            timestamp: json["timestamp"]?.int64Value, kind: .other(eventType: eventType))
        if eventType != "WEB_HOOK_VERIFY", event.conversationID == nil {
            throw WebhookParseError(message: "missing 'conversationId'")
        }
        switch eventType {
        case "WEB_HOOK_VERIFY":
            event.kind = .verify
        case "CONVERSATION_UPDATE":
            event.kind = .conversationUpdate(
                state: data["state"]?.stringValue, assignmentType: data["assignment"]?["type"]?.stringValue,
                assignmentID: data["assignment"]?["id"]?.stringValue)
        case "QUEUED":
            // Chat Gateway puts the queue in `data`; older payloads had it at the top level.
            event.kind = .queued(
                queueID: data["queueId"]?.stringValue ?? json["queueId"]?.stringValue,
                queueName: data["queueName"]?.stringValue ?? json["queueName"]?.stringValue)
        case "MEMBERS_CHANGED":
            guard let memberType = data["memberType"]?.stringValue, let change = data["change"]?.stringValue else {
                throw WebhookParseError(message: "MEMBERS_CHANGED needs data.memberType and data.change")
            }
            event.kind = .membersChanged(memberType: memberType, change: change, id: data["id"]?.stringValue)
        case "TRANSFER":
            event.kind = .transfer
        case "MESSAGE":
            event.kind = .message(
                isEcho: data["isEcho"]?.boolValue ?? false, senderType: data["sender"]?["type"]?.stringValue,
                senderID: data["sender"]?["id"]?.stringValue, text: data["text"]?.stringValue ?? "")
        case "ACTIVITY":
            if data["name"]?.stringValue == "typing" {
                let users = data["value"]?["users"]?.arrayValue ?? []
                let ids = users.compactMap { $0["id"]?.stringValue ?? $0.stringValue }
                event.kind = .typing(active: !users.isEmpty, userIDs: ids)
            } else {
                event.kind = .other(eventType: "ACTIVITY/" + (data["name"]?.stringValue ?? "?"))
            }
        default:
            break
        }
        return event
    }
}
