import RelayJSON

/// One handover conversation as the simulated contact center sees it.
///
/// A single value holds both views: the Chat Gateway resource the relay reads
/// and the richer agent-console object, so the two can never disagree.
struct SimulatedConversation: Sendable, Equatable {
    /// Where the conversation is in its life: waiting in a queue, with an agent, or over.
    enum State: String, Sendable {
        case queued, active, ended
    }

    /// A live message (history from the bot is kept separately, as given).
    struct Message: Sendable, Equatable {
        var id: String
        /// "user", "bot" or "agent".
        var authorType: String
        var authorId: String
        var text: String
        var createdAtMs: Int64
        var attachments: [JSONValue]
        var cards: [JSONValue]
    }

    let id: String
    let channelId: String
    let createdAtMs: Int64
    var state: State = .queued
    var queueId: String
    var queueName: String
    var agentId: String?
    /// Whether an agent ever accepted it: the Gateway state stays "active" after a transfer.
    var everActive = false
    /// The `user` object as posted (language defaulted), including `additionalProperties`.
    var user: [String: JSONValue]
    /// The bot transcript posted with the handover (`history.messages`).
    var history: [JSONValue]
    var messages: [Message] = []
    var userTyping = false
    /// Bumped on every user typing signal so only the latest expiry timer clears it.
    var userTypingToken = 0
    var agentTyping = false
    /// "agent" or "user" once ended.
    var endedBy: String?
    var endedAtMs: Int64?
    var userReadAtMs: Int64?

    init(id: String, channelId: String, createdAtMs: Int64, queue: SimulatedQueue,
         user: [String: JSONValue], history: [JSONValue]) {
        self.id = id
        self.channelId = channelId
        self.createdAtMs = createdAtMs
        self.queueId = queue.id
        self.queueName = queue.name
        self.user = user
        self.history = history
    }

    /// The id used as the end user's sender id: their `userId`, else the conversation id.
    var userParticipantId: String { user["userId"]?.stringValue ?? id }

    /// Chat Gateway state: `created` until an agent first joins, then `active`, `idle` once ended.
    var gatewayState: String {
        switch state {
        case .ended: "idle"
        case .active: "active"
        case .queued: everActive ? "active" : "created"
        }
    }

    /// The current routing target as 8x8 reports it: the agent when one is handling it, else the queue.
    var assignmentJSON: JSONValue {
        if state == .active, let agentId {
            return ["type": "agent", "id": .string(agentId)]
        }
        return ["type": "queue", "id": .string(queueId)]
    }

    /// The channel as referenced in webhooks.
    var channelJSON: JSONValue { ["id": .string(channelId), "type": "ChatAPI"] }

    /// The resource answered by `GET /conversations/{id}` (hal+json).
    func gatewayJSON(selfHref: String) -> JSONValue {
        [
            "id": .string(id),
            "channelId": .string(channelId),
            "assignment": assignmentJSON,
            "user": .object(user),
            "state": .string(gatewayState),
            "createdAt": .string(Timestamp.iso8601(epochMs: createdAtMs)),
            "_links": ["self": ["href": .string(selfHref)]],
        ]
    }

    /// The full object the agent API and console use.
    var agentJSON: JSONValue {
        [
            "id": .string(id),
            "channelId": .string(channelId),
            "state": .string(state.rawValue),
            "queueId": .string(queueId),
            "queueName": .string(queueName),
            "agentId": JSONValue(agentId),
            "user": .object(user),
            "history": .array(history),
            "messages": .array(messages.map { message in
                [
                    "id": .string(message.id),
                    "authorType": .string(message.authorType),
                    "text": .string(message.text),
                    "createdAt": JSONValue(message.createdAtMs),
                ]
            }),
            "userTyping": .bool(userTyping),
            "agentTyping": .bool(agentTyping),
            "endedBy": JSONValue(endedBy),
            "createdAt": JSONValue(createdAtMs),
            "endedAt": endedAtMs.map { JSONValue($0) } ?? .null,
            "userReadAt": userReadAtMs.map { JSONValue($0) } ?? .null,
        ]
    }

    /// One entry of `GET /conversations/{id}/messages`.
    static func gatewayMessageJSON(_ message: Message) -> JSONValue {
        [
            "id": .string(message.id),
            "text": .string(message.text),
            "createdAt": .string(Timestamp.iso8601(epochMs: message.createdAtMs)),
            "author": ["id": .string(message.authorId), "type": .string(message.authorType)],
            "attachments": .array(message.attachments),
            "cards": .array(message.cards),
        ]
    }

    /// The members list answered by `GET /conversations/{id}/participants`.
    var participantsJSON: JSONValue {
        var participants: [JSONValue] = [[
            "type": "user",
            "id": .string(userParticipantId),
            "name": user["name"] ?? .null,
            "state": .string(endedBy == "user" ? "left" : "joined"),
        ]]
        if state == .active, let agentId {
            participants.append(["type": "agent", "id": .string(agentId), "state": "joined"])
        }
        return ["_embedded": ["participants": .array(participants)]]
    }
}
