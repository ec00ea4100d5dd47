import HTTPModel
import RelayJSON

/// Builds the Chat Gateway v1 calls a handover makes. Pure: the shell sends them.
public struct GatewayRequests: Sendable {
    public static let apiPrefix = "/chat-gateway/v1"
    /// 8x8 accepts at most this many history messages and additional properties.
    public static let maxHistory = 200
    public static let maxAdditionalProperties = 30

    public let provider: GatewayProvider

    public init(provider: GatewayProvider) { self.provider = provider }

    /// `POST /conversations`: the user, the bot transcript as `history`, queue
    /// assignment and the relay's own additional properties, then the
    /// configured `properties` deep-merged on top.
    public func createConversation(settings: HandoverSettings, user: UserInfo, sessionID: SessionID,
                                   transcript: [SessionEvent.Message], additionalProperties: [(String, String)]) -> OutboundRequest {
        createConversation(body: Self.createConversationBody(settings: settings, user: user, sessionID: sessionID,
                                                            transcript: transcript, additionalProperties: additionalProperties))
    }

    /// `POST /conversations` with a body built earlier (e.g. before a restart).
    public func createConversation(body: JSONValue) -> OutboundRequest {
        request("POST", "/conversations", body: body)
    }

    /// The create-conversation body, independent of the provider's credentials.
    public static func createConversationBody(settings: HandoverSettings, user: UserInfo, sessionID: SessionID,
                                              transcript: [SessionEvent.Message], additionalProperties: [(String, String)]) -> JSONValue {
        var userObject: [String: JSONValue] = [
            "name": .string(user.name ?? "Guest"),
            "userId": .string(user.userId ?? sessionID.rawValue),
            "language": .string(user.language ?? "en"),
        ]
        if let email = user.email { userObject["email"] = .string(email) }
        if let phone = user.phone { userObject["phone"] = .string(phone) }
        if let company = user.company { userObject["company"] = .string(company) }
        userObject["additionalProperties"] = .array(additionalProperties.map { ["key": .string($0.0), "value": .string($0.1)] })

        let history = transcript.compactMap { message -> JSONValue? in
            switch message.from {
            case .user: ["authorType": "user", "text": .string(message.text)]
            case .bot: ["authorType": "bot", "text": .string(message.text)]
            case .agent, .system: nil  // 8x8 history accepts only bot and user authors
            }
        }.suffix(Self.maxHistory)

        var body: JSONValue = [
            "channelId": .string(settings.channelID),
            "user": .object(userObject),
            "assignment": ["type": "queue", "id": .string(settings.queueID)],
            "history": ["messages": .array(Array(history))],
        ]
        body = body.deepMerged(with: settings.properties)
        return capAdditionalProperties(body)
    }

    /// `POST /conversations/{id}/messages` as the user.
    public func sendMessage(conversationID: String, text: String) -> OutboundRequest {
        request("POST", "/conversations/\(escape(conversationID))/messages", body: ["authorType": "user", "text": .string(text)])
    }

    /// `POST /conversations/{id}/typing` as the user. 8x8 has no "stopped typing"
    /// call; the indicator times out on the agent's side.
    public func typing(conversationID: String) -> OutboundRequest {
        request("POST", "/conversations/\(escape(conversationID))/typing", body: ["authorType": "user"])
    }

    /// `PATCH /conversations/{id}/participants/user {"removed":true}`: the user
    /// leaves, which ends the interaction and frees the agent.
    public func removeUser(conversationID: String) -> OutboundRequest {
        request("PATCH", "/conversations/\(escape(conversationID))/participants/user", body: ["removed": true])
    }

    func request(_ method: String, _ path: String, body: JSONValue) -> OutboundRequest {
        var headers = [
            "x-api-key": provider.apiKey,
            "content-type": "application/json",
            "accept": "application/hal+json, application/json",
        ]
        if let tenant = provider.tenant { headers["x-8x8-tenant"] = tenant }
        return OutboundRequest(method: method, url: provider.baseURL.appending(path: Self.apiPrefix + path), headers: headers,
                               body: body.serializedBytes, timeoutMs: provider.timeoutMs)
    }

    private func escape(_ id: String) -> String { QueryString.percentEncode(id) }

    /// 8x8 rejects more than 30 additional properties; keep the first 30 (the
    /// relay's own come first, so `copilotUrl` always survives).
    static func capAdditionalProperties(_ body: JSONValue) -> JSONValue {
        guard case .object(var root) = body, case .object(var user)? = root["user"],
            case .array(let props)? = user["additionalProperties"], props.count > maxAdditionalProperties
        else { return body }
        user["additionalProperties"] = .array(Array(props.prefix(maxAdditionalProperties)))
        root["user"] = .object(user)
        return .object(root)
    }
}

extension OutboundRequest {
    /// The request for logs: method and URL only, never headers (they hold the API key).
    public var logDescription: String { "\(method) \(url)" }
}
