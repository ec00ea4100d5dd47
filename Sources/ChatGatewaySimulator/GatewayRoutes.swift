import HTTPModel
import RelayJSON

/// The Chat Gateway v1 routes the simulator implements, recognised from path segments.
///
/// Naming routes (instead of matching strings inline) gives the statistics a
/// stable "METHOD /route-template" key and lets 405 be told apart from 404.
enum GatewayRoute: Sendable, Equatable {
    case conversations
    case conversation(String)
    case messages(String)
    case typing(String)
    case readReceipt(String)
    case participants(String)
    case participantUser(String)
    case jwk(String)
    case unknown

    init(_ segments: [String]) {
        switch segments.count {
        case 1 where segments[0] == "conversations": self = .conversations
        case 2 where segments[0] == "conversations": self = .conversation(segments[1])
        case 3 where segments[0] == "conversations":
            switch segments[2] {
            case "messages": self = .messages(segments[1])
            case "typing": self = .typing(segments[1])
            case "read-receipt": self = .readReceipt(segments[1])
            case "participants": self = .participants(segments[1])
            default: self = .unknown
            }
        case 4 where segments[0] == "conversations" && segments[2] == "participants" && segments[3] == "user":
            self = .participantUser(segments[1])
        case 3 where segments[0] == "jwk" && segments[2] == "public": self = .jwk(segments[1])
        default: self = .unknown
        }
    }

    /// The path with ids replaced by placeholders, e.g. "/conversations/{id}/messages".
    var template: String {
        switch self {
        case .conversations: "/conversations"
        case .conversation: "/conversations/{id}"
        case .messages: "/conversations/{id}/messages"
        case .typing: "/conversations/{id}/typing"
        case .readReceipt: "/conversations/{id}/read-receipt"
        case .participants: "/conversations/{id}/participants"
        case .participantUser: "/conversations/{id}/participants/user"
        case .jwk: "/jwk/{kid}/public"
        case .unknown: "(unmatched)"
        }
    }

    /// The methods the simulator answers on this route.
    var methods: [String] {
        switch self {
        case .conversations, .typing, .readReceipt: ["POST"]
        case .conversation, .participants, .jwk: ["GET"]
        case .messages: ["GET", "POST"]
        case .participantUser: ["PATCH"]
        case .unknown: []
        }
    }
}

extension ChatGatewaySimulator {
    /// Handles `{prefix}/chat-gateway/v1/…`: count, authenticate, inject faults, then dispatch.
    mutating func gateway(_ request: HTTPRequest, _ segments: [String], nowMs: Int64,
                          effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        let method = request.method
        let path = "/" + segments.joined(separator: "/")
        let route = GatewayRoute(segments)
        stats.count("\(method) \(route.template)")

        guard let key = request.header("x-api-key"), key == settings.apiKey else {
            throw Problem(401, code: "UNAUTHORIZED", message: "missing or invalid x-api-key header")
        }
        if let tenant = settings.tenant, request.header("x-8x8-tenant") != tenant {
            throw Problem(403, code: "FORBIDDEN", message: "X-8x8-Tenant header does not name this tenant")
        }
        if let status = consumeFault(for: "\(method) \(path)") {
            throw Problem(status, code: "INJECTED_FAULT", message: "fault injected by the simulator for \(method) \(path)")
        }
        guard route != .unknown else { throw Problem.noRoute(method, path) }
        guard route.methods.contains(method) else { throw Problem.methodNotAllowed(method, route.template) }

        switch route {
        case .conversations: return try createConversation(request, nowMs: nowMs, effects: &effects)
        case .conversation(let id):
            let href = settings.normalizedPrefix + "/chat-gateway/v1/conversations/" + id
            return .json(200, try existing(id).gatewayJSON(selfHref: href), contentType: Self.hal)
        case .messages(let id) where method == "GET": return try listMessages(id, query: request.query)
        case .messages(let id): return try postMessage(id, request, nowMs: nowMs, effects: &effects)
        case .typing(let id): return try userTyping(id, request, effects: &effects)
        case .readReceipt(let id): return try readReceipt(id, request, nowMs: nowMs, effects: &effects)
        case .participants(let id): return .json(200, try existing(id).participantsJSON, contentType: Self.hal)
        case .participantUser(let id): return try removeUser(id, request, nowMs: nowMs, effects: &effects)
        case .jwk(let kid): return try publicKey(kid)
        case .unknown: throw Problem.noRoute(method, path)
        }
    }

    /// `GET /jwk/{kid}/public`: the signer's public key, or one a test registered.
    private func publicKey(_ kid: String) throws(Problem) -> HTTPResponse {
        if let signer, signer.kid == kid { return .json(200, signer.publicJWK) }
        if let jwk = extraKeys[kid] { return .json(200, jwk) }
        throw Problem(404, code: "KEY_NOT_FOUND", message: "no public key '\(kid)'")
    }

    /// Content type of successful Chat Gateway answers.
    static let hal = "application/hal+json"

    /// `POST /conversations`: validate, create, queue, and announce it (CONVERSATION_UPDATE then QUEUED).
    private mutating func createConversation(_ request: HTTPRequest, nowMs: Int64,
                                             effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        let input = try CreateConversationRequest(body: try jsonObjectBody(request.body), settings: settings)
        let conversation = SimulatedConversation(id: ids.next(nowMs: nowMs), channelId: input.channelId, createdAtMs: nowMs,
                                                 queue: input.queue, user: input.user, history: input.history)
        insert(conversation)
        emit("CONVERSATION_UPDATE", conversationId: conversation.id, data: WebhookPayload.conversationUpdate(conversation),
             nowMs: nowMs, into: &effects)
        emit("QUEUED", conversationId: conversation.id, data: WebhookPayload.queued(conversation), nowMs: nowMs, into: &effects)
        publish(conversation.id, into: &effects)
        return .json(202, ["conversationId": .string(conversation.id),
                           "createdAt": .string(Timestamp.iso8601(epochMs: nowMs))], contentType: Self.hal)
    }

    /// The conversation, or 409 once it has ended (8x8 refuses traffic on a closed interaction).
    private func open(_ id: String) throws(Problem) -> SimulatedConversation {
        let conversation = try existing(id)
        if conversation.state == .ended { throw Problem.conflict("conversation '\(id)' has ended") }
        return conversation
    }

    /// `POST /conversations/{id}/messages`: store the user's or bot's message and echo it (isEcho true).
    private mutating func postMessage(_ id: String, _ request: HTTPRequest, nowMs: Int64,
                                      effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        _ = try existing(id)
        let input = try PostMessageRequest(body: try jsonObjectBody(request.body))
        var conversation = try open(id)
        let message = SimulatedConversation.Message(
            id: ids.next(nowMs: nowMs), authorType: input.authorType,
            authorId: input.authorType == "user" ? conversation.userParticipantId : "bot",
            text: input.text, createdAtMs: nowMs, attachments: input.attachments, cards: input.cards)
        conversation.messages.append(message)
        if input.authorType == "user" { conversation.userTyping = false }
        conversations[id] = conversation
        emit("MESSAGE", conversationId: id, data: WebhookPayload.message(message, isEcho: true), nowMs: nowMs, into: &effects)
        publish(id, into: &effects)
        return .json(202, ["messageId": .string(message.id)], contentType: Self.hal)
    }

    /// `GET /conversations/{id}/messages`: live messages, oldest first, paged by `size` (default 20) and `page`.
    private func listMessages(_ id: String, query: [String: String]) throws(Problem) -> HTTPResponse {
        let conversation = try existing(id)
        let size = min(max(query["size"].flatMap { Int($0) } ?? 20, 1), 1000)
        let page = min(max(query["page"].flatMap { Int($0) } ?? 0, 0), 1_000_000)
        let total = conversation.messages.count
        let start = min(page * size, total)
        let slice = conversation.messages[start..<min(start + size, total)]
        return .json(200, [
            "_embedded": ["messages": .array(slice.map(SimulatedConversation.gatewayMessageJSON))],
            "page": ["size": JSONValue(size), "number": JSONValue(page), "totalElements": JSONValue(total),
                     "totalPages": JSONValue((total + size - 1) / size)],
        ], contentType: Self.hal)
    }

    /// `POST /conversations/{id}/typing`: the user's typing shows on the console until it expires.
    private mutating func userTyping(_ id: String, _ request: HTTPRequest,
                                     effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        _ = try existing(id)
        let author = try requireAuthorType(try jsonObjectBody(request.body))
        var conversation = try open(id)
        guard author == "user" else { return .noContent() }
        let changed = !conversation.userTyping
        conversation.userTyping = true
        conversation.userTypingToken += 1
        conversations[id] = conversation
        let timer = addTimer(.userTypingExpiry(conversationId: id, token: conversation.userTypingToken))
        effects.append(.schedule(timerId: timer, afterMs: max(settings.userTypingExpiryMs, 0)))
        if changed { publish(id, into: &effects) }
        return .noContent()
    }

    /// `POST /conversations/{id}/read-receipt`: remembers when the user read the agent's messages.
    private mutating func readReceipt(_ id: String, _ request: HTTPRequest, nowMs: Int64,
                                      effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        _ = try existing(id)
        let body = try jsonObjectBody(request.body)
        let author = try requireAuthorType(body)
        var readAt = nowMs
        if let value = body["readAt"], value != .null {
            guard let ms = value.int64Value else {
                throw Problem.invalid([ProblemDetail(code: "INVALID_TYPE", message: "readAt must be milliseconds (an integer)")])
            }
            readAt = ms
        }
        var conversation = try open(id)
        if author == "user" {
            conversation.userReadAtMs = readAt
            conversations[id] = conversation
            publish(id, into: &effects)
        }
        return .noContent()
    }

    /// `PATCH /conversations/{id}/participants/user` with `{"removed":true}`: the user left, the conversation ends.
    /// Idempotent: removing the user of an ended conversation changes nothing.
    private mutating func removeUser(_ id: String, _ request: HTTPRequest, nowMs: Int64,
                                     effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        let conversation = try existing(id)
        let body = try jsonObjectBody(request.body)
        guard body["removed"] == .bool(true) else {
            throw Problem.invalid([ProblemDetail(code: "INVALID_VALUE", message: "body must be {\"removed\": true}")])
        }
        guard conversation.state != .ended else { return .noContent() }
        emit("MEMBERS_CHANGED", conversationId: id, data: WebhookPayload.userLeft, nowMs: nowMs, into: &effects)
        end(id, by: "user", nowMs: nowMs, effects: &effects)
        return .noContent()
    }
}
