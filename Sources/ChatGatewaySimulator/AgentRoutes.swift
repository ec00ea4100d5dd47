import HTTPModel
import RelayJSON

/// The agent API under `{prefix}/agent/`: what a human agent does in the
/// contact center, exposed as JSON so the console page and automated tests
/// drive the same code. No API key: it is the simulated agent desktop, not 8x8's API.
extension ChatGatewaySimulator {
    /// The agent id used when an accept does not name one.
    static let defaultAgentId = "agent-1"

    /// Dispatches `{prefix}/agent/…`.
    mutating func agent(_ request: HTTPRequest, _ segments: [String], nowMs: Int64,
                        effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        let method = request.method
        let path = "/agent/" + segments.joined(separator: "/")
        switch segments.count {
        case 1 where segments[0] == "state":
            guard method == "GET" else { throw Problem.methodNotAllowed(method, path) }
            return .json(200, [
                "queues": ConsoleMessage.queuesJSON(settings.queues),
                "conversations": .array(allConversations.map(\.agentJSON)),
            ])
        case 2 where segments[0] == "conversations":
            guard method == "GET" else { throw Problem.methodNotAllowed(method, path) }
            return .json(200, try existing(segments[1]).agentJSON)
        case 3 where segments[0] == "conversations":
            let actions = ["accept", "messages", "typing", "transfer", "close"]
            guard actions.contains(segments[2]) else { throw Problem.noRoute(method, path) }
            guard method == "POST" else { throw Problem.methodNotAllowed(method, path) }
            let id = segments[1]
            _ = try existing(id)
            let body = try jsonObjectBody(request.body, allowEmpty: true)
            switch segments[2] {
            case "accept": try accept(id, body, nowMs: nowMs, effects: &effects)
            case "messages": try agentMessage(id, body, nowMs: nowMs, effects: &effects)
            case "typing": try agentTyping(id, body, nowMs: nowMs, effects: &effects)
            case "transfer": try transfer(id, body, nowMs: nowMs, effects: &effects)
            default: try close(id, nowMs: nowMs, effects: &effects)
            }
            return .json(200, try existing(id).agentJSON)
        default:
            throw Problem.noRoute(method, path)
        }
    }

    /// The conversation if it is in `state`, else 409 naming the actual state.
    private func requireState(_ id: String, _ state: SimulatedConversation.State, to action: String) throws(Problem) -> SimulatedConversation {
        let conversation = try existing(id)
        guard conversation.state == state else {
            throw Problem.conflict("cannot \(action) conversation '\(id)': it is \(conversation.state.rawValue), not \(state.rawValue)")
        }
        return conversation
    }

    /// Accept a queued conversation: MEMBERS_CHANGED (agent joined), then CONVERSATION_UPDATE (active).
    private mutating func accept(_ id: String, _ body: [String: JSONValue], nowMs: Int64,
                                 effects: inout [SimulatorEffect]) throws(Problem) {
        var v = Validator()
        let agentId = v.string(body, "agentId", path: "agentId") ?? Self.defaultAgentId
        if agentId.isEmpty { v.fail("INVALID_VALUE", "agentId must not be empty") }
        try v.check()
        var conversation = try requireState(id, .queued, to: "accept")
        conversation.state = .active
        conversation.agentId = agentId
        conversation.everActive = true
        conversation.agentTyping = false
        conversations[id] = conversation
        emit("MEMBERS_CHANGED", conversationId: id, data: WebhookPayload.agentMembership("joined", agentId: agentId),
             nowMs: nowMs, into: &effects)
        emit("CONVERSATION_UPDATE", conversationId: id, data: WebhookPayload.conversationUpdate(conversation),
             nowMs: nowMs, into: &effects)
        publish(id, into: &effects)
    }

    /// The agent writes: MESSAGE with isEcho false and sender type agent.
    private mutating func agentMessage(_ id: String, _ body: [String: JSONValue], nowMs: Int64,
                                       effects: inout [SimulatorEffect]) throws(Problem) {
        var v = Validator()
        let text = v.string(body, "text", path: "text", required: true)
        if text?.isEmpty == true { v.fail("REQUIRED", "text must not be empty") }
        try v.check()
        var conversation = try requireState(id, .active, to: "send a message to")
        let message = SimulatedConversation.Message(
            id: ids.next(nowMs: nowMs), authorType: "agent", authorId: conversation.agentId ?? Self.defaultAgentId,
            text: text ?? "", createdAtMs: nowMs, attachments: [], cards: [])
        conversation.messages.append(message)
        conversations[id] = conversation
        emit("MESSAGE", conversationId: id, data: WebhookPayload.message(message, isEcho: false), nowMs: nowMs, into: &effects)
        publish(id, into: &effects)
    }

    /// The agent starts or stops typing: ACTIVITY typing, only when the state actually changes.
    private mutating func agentTyping(_ id: String, _ body: [String: JSONValue], nowMs: Int64,
                                      effects: inout [SimulatorEffect]) throws(Problem) {
        guard case .bool(let active)? = body["active"] else {
            throw Problem.invalid([ProblemDetail(code: "REQUIRED", message: "active is required and must be a boolean")])
        }
        var conversation = try requireState(id, .active, to: "signal typing in")
        guard conversation.agentTyping != active else { return }
        conversation.agentTyping = active
        conversations[id] = conversation
        emit("ACTIVITY", conversationId: id,
             data: WebhookPayload.agentTyping(agentId: conversation.agentId ?? Self.defaultAgentId, active: active),
             nowMs: nowMs, into: &effects)
        publish(id, into: &effects)
    }

    /// Transfer to a queue: TRANSFER, MEMBERS_CHANGED (agent left), QUEUED (new queue).
    private mutating func transfer(_ id: String, _ body: [String: JSONValue], nowMs: Int64,
                                   effects: inout [SimulatorEffect]) throws(Problem) {
        var v = Validator()
        let queueId = v.string(body, "queueId", path: "queueId", required: true)
        let queue = queueId.flatMap { settings.queue($0) }
        if let queueId, queue == nil { v.fail("UNKNOWN_QUEUE", "queueId '\(queueId)' is not a known queue") }
        try v.check()
        var conversation = try requireState(id, .active, to: "transfer")
        guard let queue else { return }
        let agentId = conversation.agentId ?? Self.defaultAgentId
        conversation.state = .queued
        conversation.agentId = nil
        conversation.agentTyping = false
        conversation.queueId = queue.id
        conversation.queueName = queue.name
        conversations[id] = conversation
        emit("TRANSFER", conversationId: id, data: [:], nowMs: nowMs, into: &effects)
        emit("MEMBERS_CHANGED", conversationId: id, data: WebhookPayload.agentMembership("left", agentId: agentId),
             nowMs: nowMs, into: &effects)
        emit("QUEUED", conversationId: id, data: WebhookPayload.queued(conversation), nowMs: nowMs, into: &effects)
        publish(id, into: &effects)
    }

    /// The agent ends the chat: MEMBERS_CHANGED (agent left) with no TRANSFER before it.
    private mutating func close(_ id: String, nowMs: Int64, effects: inout [SimulatorEffect]) throws(Problem) {
        let conversation = try requireState(id, .active, to: "close")
        emit("MEMBERS_CHANGED", conversationId: id,
             data: WebhookPayload.agentMembership("left", agentId: conversation.agentId ?? Self.defaultAgentId),
             nowMs: nowMs, into: &effects)
        end(id, by: "agent", nowMs: nowMs, effects: &effects)
    }
}
