import HTTPModel
import RelayJSON

/// Where the external bot lives.
public struct ExternalBotSettings: Equatable, Sendable {
    public var url: HTTPURL
    /// Extra headers, e.g. `authorization`. Never logged.
    public var headers: [String: String]
    public var timeoutMs: Int

    public init(url: HTTPURL, headers: [String: String] = [:], timeoutMs: Int = 10_000) {
        self.url = url
        self.headers = headers
        self.timeoutMs = timeoutMs
    }
}

/// The external bot's HTTP contract (docs/PROTOCOL.md "External bot"):
/// the relay POSTs `{"sessionId","event",…}` and reads
/// `{"replies":[{"text"}|"text"], "handover"?: {provider?, channelId?, queueId?, properties?}}`.
public enum ExternalBot {
    public static func request(_ settings: ExternalBotSettings, sessionID: SessionID, user: UserInfo, event: BotEvent) -> OutboundRequest {
        var body: [String: JSONValue] = ["sessionId": .string(sessionID.rawValue), "user": userJSON(user)]
        switch event {
        case .sessionStarted:
            body["event"] = "session_started"
        case .userMessage(let text):
            body["event"] = "message"
            body["text"] = .string(text)
        case .handoverFinished(let outcome):
            body["event"] = "handover_finished"
            body["handover"] = .object(outcome.wireFields)
        }
        var headers = settings.headers
        headers["content-type"] = "application/json"
        return OutboundRequest(method: "POST", url: settings.url, headers: headers, body: JSONValue.object(body).serializedBytes,
                               timeoutMs: settings.timeoutMs)
    }

    /// Reads the bot's answer; nil when it is not a usable reply.
    public static func parseReply(_ result: OutboundResult) -> BotTurn? {
        guard result.isSuccess else { return nil }
        if case .response(_, let body) = result, body.isEmpty { return BotTurn(replies: []) }  // bot chose silence
        guard let json = result.jsonBody, case .object = json else { return nil }
        let replies = (json["replies"]?.arrayValue ?? []).compactMap { $0.stringValue ?? $0["text"]?.stringValue }
        var handover: HandoverRequest?
        if let h = json["handover"], case .object = h {
            handover = HandoverRequest(
                settingsName: h["settings"]?.stringValue, provider: h["provider"]?.stringValue,
                channelID: h["channelId"]?.stringValue, queueID: h["queueId"]?.stringValue, properties: h["properties"])
        }
        return BotTurn(replies: replies, handover: handover)
    }

    static func userJSON(_ user: UserInfo) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        fields["name"] = user.name.map(JSONValue.string)
        fields["email"] = user.email.map(JSONValue.string)
        fields["phone"] = user.phone.map(JSONValue.string)
        fields["company"] = user.company.map(JSONValue.string)
        fields["language"] = user.language.map(JSONValue.string)
        fields["userId"] = user.userId.map(JSONValue.string)
        return .object(fields)
    }
}
