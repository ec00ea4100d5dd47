import RelayJSON

/// A validated `POST /conversations` body.
///
/// Validation mirrors the documented 8x8 limits (200 history messages, 30
/// additional properties, known channel and queue) so a relay that would be
/// rejected by the real service is rejected here too.
struct CreateConversationRequest: Sendable, Equatable {
    static let maxHistoryMessages = 200
    static let maxAdditionalProperties = 30
    static let userStringFields = ["name", "userId", "email", "phone", "company", "caseId", "language"]

    var channelId: String
    var queue: SimulatedQueue
    var user: [String: JSONValue]
    var history: [JSONValue]

    init(body: [String: JSONValue], settings: SimulatorSettings) throws(Problem) {
        var v = Validator()
        let channelId = v.string(body, "channelId", path: "channelId", required: true)
        if let channelId, !settings.channels.contains(channelId) {
            v.fail("UNKNOWN_CHANNEL", "channelId '\(channelId)' is not a known channel")
        }

        var user = v.object(body, "user", path: "user", required: true) ?? [:]
        for field in Self.userStringFields { _ = v.string(user, field, path: "user.\(field)") }
        if user["language"] == nil || user["language"] == .null { user["language"] = "en" }
        if let properties = v.array(user, "additionalProperties", path: "user.additionalProperties") {
            if properties.count > Self.maxAdditionalProperties {
                v.fail("TOO_MANY_ITEMS", "user.additionalProperties has \(properties.count) entries, at most \(Self.maxAdditionalProperties) are allowed")
            }
            for (index, property) in properties.enumerated() {
                let path = "user.additionalProperties[\(index)]"
                guard case .object(let pair) = property else {
                    v.fail("INVALID_TYPE", "\(path) must be an object with key and value")
                    continue
                }
                if let key = v.string(pair, "key", path: "\(path).key", required: true), key.isEmpty {
                    v.fail("REQUIRED", "\(path).key must not be empty")
                }
                _ = v.string(pair, "value", path: "\(path).value", required: true)
            }
        }

        var queue = settings.queues.first
        if let assignment = v.object(body, "assignment", path: "assignment") {
            let type = v.string(assignment, "type", path: "assignment.type") ?? "queue"
            if type != "queue" {
                v.fail("UNSUPPORTED_ASSIGNMENT", "assignment.type '\(type)' is not supported by the simulator (use 'queue')")
            }
            if let queueId = v.string(assignment, "id", path: "assignment.id") {
                queue = settings.queue(queueId)
                if queue == nil { v.fail("UNKNOWN_QUEUE", "assignment.id '\(queueId)' is not a known queue") }
            }
        }
        if settings.queues.isEmpty { v.fail("UNKNOWN_QUEUE", "the simulator has no queues configured") }

        var history: [JSONValue] = []
        if let historyObject = v.object(body, "history", path: "history"),
           let messages = v.array(historyObject, "messages", path: "history.messages")
        {
            if messages.count > Self.maxHistoryMessages {
                v.fail("TOO_MANY_ITEMS", "history.messages has \(messages.count) entries, at most \(Self.maxHistoryMessages) are allowed")
            }
            for (index, message) in messages.prefix(Self.maxHistoryMessages + 1).enumerated() {
                let path = "history.messages[\(index)]"
                guard case .object(let fields) = message else {
                    v.fail("INVALID_TYPE", "\(path) must be an object")
                    continue
                }
                let author = v.string(fields, "authorType", path: "\(path).authorType", required: true)
                if let author, author != "bot", author != "user" {
                    v.fail("INVALID_VALUE", "\(path).authorType must be 'bot' or 'user', got '\(author)'")
                }
                _ = v.string(fields, "text", path: "\(path).text")
                _ = v.array(fields, "attachments", path: "\(path).attachments")
                _ = v.array(fields, "cards", path: "\(path).cards")
            }
            history = messages
        }

        try v.check()
        // check() passed, so the required values are present.
        self.channelId = channelId ?? ""
        self.queue = queue ?? SimulatedQueue(id: "", name: "")
        self.user = user
        self.history = history
    }
}

/// A validated `POST /conversations/{id}/messages` body.
struct PostMessageRequest: Sendable, Equatable {
    var authorType: String
    var text: String
    var attachments: [JSONValue]
    var cards: [JSONValue]

    init(body: [String: JSONValue]) throws(Problem) {
        var v = Validator()
        let author = v.string(body, "authorType", path: "authorType", required: true)
        if let author, author != "user", author != "bot" {
            v.fail("INVALID_VALUE", "authorType must be 'user' or 'bot', got '\(author)'")
        }
        let text = v.string(body, "text", path: "text") ?? ""
        let attachments = v.array(body, "attachments", path: "attachments") ?? []
        let cards = v.array(body, "cards", path: "cards") ?? []
        if v.details.isEmpty, text.isEmpty, attachments.isEmpty, cards.isEmpty {
            v.fail("REQUIRED", "a message needs text, attachments or cards")
        }
        try v.check()
        self.authorType = author ?? "user"
        self.text = text
        self.attachments = attachments
        self.cards = cards
    }
}

/// The `authorType` of typing and read-receipt bodies, which must be `user` or `bot`.
func requireAuthorType(_ body: [String: JSONValue]) throws(Problem) -> String {
    var v = Validator()
    let author = v.string(body, "authorType", path: "authorType", required: true)
    if let author, author != "user", author != "bot" {
        v.fail("INVALID_VALUE", "authorType must be 'user' or 'bot', got '\(author)'")
    }
    try v.check()
    return author ?? "user"
}
