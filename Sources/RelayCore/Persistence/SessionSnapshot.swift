import RelayJSON

/// What of a session must survive a restart besides its events: identity,
/// the handover (state, conversation id, generation) and the 8x8 calls not
/// yet acknowledged. Stored as JSON by the ``EventStore``, next to the log
/// the transcript is rebuilt from.
///
/// Deliberately left out: connections (sockets do not survive), copilot tiles
/// (recomputed from the log), the typing throttle, and pending typing
/// notifications (a stale "is typing" is worse than none).
public struct SessionSnapshot: Equatable, Sendable {
    public var id: SessionID
    public var resumeToken: String
    public var user: UserInfo
    public var handover: Handover?
    public var handoverProperties: JSONValue
    public var handoverGeneration: Int
    public var ended: Bool
    /// The session's outbox, head first, without typing notifications and —
    /// while the session is with a human — without the user messages after
    /// `messagesSettledThrough`: those are in the log, and ``restored(events:)``
    /// queues them again after these calls. A call that was in flight at the
    /// crash is sent again: 8x8 may or may not have seen it.
    public var pendingCalls: [GatewayOperation]
    /// ``GatewayOutbox/messagesSettledThrough``; nil in snapshots written before
    /// it existed, whose `pendingCalls` list every message.
    public var messagesSettledThrough: Int?

    public init(_ session: Session) {
        id = session.id
        resumeToken = session.resumeToken
        user = session.user
        handover = session.handover
        handoverProperties = session.handoverProperties
        handoverGeneration = session.handoverGeneration
        ended = session.ended
        let settled = session.outbox.messagesSettledThrough
        let inLog = session.isWithHuman
        pendingCalls = session.outbox.queue.filter { op in
            op != .typing && !(inLog && (op.messageSeq ?? 0) > settled)
        }
        messagesSettledThrough = settled
    }

    /// The calls to make after a restart: the saved ones, then — while the session
    /// is with a human — the user messages that were not settled (see ``pendingCalls``).
    func outbox(events: [SessionEvent], withHuman: Bool) -> GatewayOutbox {
        guard let settled = messagesSettledThrough else { return GatewayOutbox(restoring: pendingCalls) }
        var queue = pendingCalls
        if withHuman {
            let after = max(settled, pendingCalls.compactMap(\.messageSeq).max() ?? 0)
            for event in events where event.seq > after {
                if let m = event.message, m.from == .user { queue.append(.sendMessage(text: m.text, seq: event.seq)) }
            }
        }
        return GatewayOutbox(restoring: queue, messagesSettledThrough: settled)
    }

    /// The session again, with its log rebuilt from `events` (in seq order).
    public func restored(events: [SessionEvent]) -> Session {
        var session = Session(id: id, resumeToken: resumeToken, user: user)
        session.log = SessionLog(restoring: events)
        session.handover = handover
        session.handoverProperties = handoverProperties
        session.handoverGeneration = handoverGeneration
        session.ended = ended
        session.outbox = outbox(events: events, withHuman: session.isWithHuman)
        return session
    }

    // MARK: JSON

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "v": 1, "id": .string(id.rawValue), "resumeToken": .string(resumeToken), "user": ExternalBot.userJSON(user),
            "handoverProperties": handoverProperties, "handoverGeneration": JSONValue(handoverGeneration), "ended": .bool(ended),
            "pendingCalls": .array(pendingCalls.map(\.json)),
        ]
        if let handover { fields["handover"] = handover.json }
        if let messagesSettledThrough { fields["messagesSettledThrough"] = JSONValue(messagesSettledThrough) }
        return .object(fields)
    }

    public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(json: JSONValue) throws(DecodeError) {
        guard json["v"]?.intValue == 1 else { throw DecodeError(description: "unknown snapshot version \(json["v"]?.intValue ?? 0)") }
        guard let id = json["id"]?.stringValue, let token = json["resumeToken"]?.stringValue,
              let generation = json["handoverGeneration"]?.intValue, let ended = json["ended"]?.boolValue,
              let calls = json["pendingCalls"]?.arrayValue
        else { throw DecodeError(description: "snapshot lacks id, resumeToken, handoverGeneration, ended or pendingCalls") }
        self.id = SessionID(id)
        resumeToken = token
        user = UserInfo(json: json["user"] ?? .null)
        handoverProperties = json["handoverProperties"] ?? .array([])
        handoverGeneration = generation
        self.ended = ended
        if let h = json["handover"] {
            guard let handover = Handover(json: h) else { throw DecodeError(description: "session \(id): unreadable handover") }
            self.handover = handover
        }
        messagesSettledThrough = json["messagesSettledThrough"]?.intValue
        pendingCalls = try calls.map { call throws(DecodeError) in
            guard let op = GatewayOperation(json: call) else { throw DecodeError(description: "session \(id): unreadable pending call") }
            return op
        }
    }
}

extension UserInfo {
    /// Reads back ``ExternalBot/userJSON(_:)``; missing fields stay nil.
    init(json: JSONValue) {
        self.init(name: json["name"]?.stringValue, email: json["email"]?.stringValue, phone: json["phone"]?.stringValue,
                  company: json["company"]?.stringValue, language: json["language"]?.stringValue, userId: json["userId"]?.stringValue)
    }
}

extension Handover {
    var json: JSONValue {
        [
            "settings": [
                "provider": .string(settings.provider), "channelId": .string(settings.channelID),
                "queueId": .string(settings.queueID), "properties": settings.properties,
            ],
            "state": .object(state.wireFields), "conversationId": JSONValue(conversationID), "transferPending": .bool(transferPending),
        ]
    }

    init?(json: JSONValue) {
        guard let s = json["settings"], let provider = s["provider"]?.stringValue, let channel = s["channelId"]?.stringValue,
              let queue = s["queueId"]?.stringValue, let state = json["state"].flatMap(HandoverState.init(wireFields:))
        else { return nil }
        self.init(settings: HandoverSettings(provider: provider, channelID: channel, queueID: queue, properties: s["properties"] ?? .object([:])),
                  state: state, conversationID: json["conversationId"]?.stringValue,
                  transferPending: json["transferPending"]?.boolValue ?? false)
    }
}

extension GatewayOperation {
    var json: JSONValue {
        switch self {
        case .createConversation(let body, let provider, let generation):
            ["op": "createConversation", "body": body, "provider": .string(provider), "generation": JSONValue(generation)]
        case .sendMessage(let text, let seq):
            ["op": "sendMessage", "text": .string(text), "seq": JSONValue(seq)]
        case .typing:
            ["op": "typing"]
        case .removeUser(let conversation, let provider):
            ["op": "removeUser", "conversationId": .string(conversation), "provider": .string(provider)]
        }
    }

    init?(json: JSONValue) {
        switch json["op"]?.stringValue {
        case "createConversation":
            guard let body = json["body"], let provider = json["provider"]?.stringValue, let generation = json["generation"]?.intValue
            else { return nil }
            self = .createConversation(body: body, provider: provider, generation: generation)
        case "sendMessage":
            guard let text = json["text"]?.stringValue, let seq = json["seq"]?.intValue else { return nil }
            self = .sendMessage(text: text, seq: seq)
        case "typing":
            self = .typing
        case "removeUser":
            guard let conversation = json["conversationId"]?.stringValue, let provider = json["provider"]?.stringValue else { return nil }
            self = .removeUser(conversationID: conversation, provider: provider)
        default:
            return nil
        }
    }
}
