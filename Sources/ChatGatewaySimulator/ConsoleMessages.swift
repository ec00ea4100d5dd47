import RelayJSON

/// The frames pushed to agent consoles (WebSocket subprotocol `simulator.console.v1`).
///
/// Consoles only listen; every frame is a full JSON object with a `type`, and
/// conversation frames carry the whole conversation so a console never has to
/// patch state (a missed frame is healed by the next one for that conversation).
enum ConsoleMessage {
    /// `{"type":"snapshot","queues":[…],"conversations":[…]}`: everything, sent when a console connects.
    static func snapshot(queues: [SimulatedQueue], conversations: [SimulatedConversation]) -> JSONValue {
        [
            "type": "snapshot",
            "queues": queuesJSON(queues),
            "conversations": .array(conversations.map(\.agentJSON)),
        ]
    }

    /// `{"type":"conversation","conversation":{…}}`: one conversation changed.
    static func conversation(_ conversation: SimulatedConversation) -> JSONValue {
        ["type": "conversation", "conversation": conversation.agentJSON]
    }

    /// `{"type":"removed","conversationId"}`: an old ended conversation was forgotten.
    static func removed(_ conversationId: String) -> JSONValue {
        ["type": "removed", "conversationId": .string(conversationId)]
    }

    /// `{"type":"delivery",…}`: a webhook attempt failed (and maybe the event was dropped).
    static func delivery(_ event: WebhookEvent, status: Int?, error: JSONValue, gaveUp: Bool) -> JSONValue {
        [
            "type": "delivery",
            "eventType": .string(event.eventType),
            "eventId": .string(event.eventId),
            "conversationId": .string(event.conversationId),
            "status": status.map { JSONValue($0) } ?? .null,
            "error": error,
            "attempt": JSONValue(event.attempts),
            "gaveUp": .bool(gaveUp),
        ]
    }

    /// The queue list as `[{"id","name"}]`.
    static func queuesJSON(_ queues: [SimulatedQueue]) -> JSONValue {
        .array(queues.map { ["id": .string($0.id), "name": .string($0.name)] })
    }
}

extension ChatGatewaySimulator {
    /// A console connected: remember it and send it a snapshot of everything.
    public mutating func consoleOpened(_ consoleId: Int) -> [SimulatorEffect] {
        consoles.insert(consoleId)
        let snapshot = ConsoleMessage.snapshot(queues: settings.queues, conversations: allConversations)
        return [.pushToConsole(consoleId: consoleId, text: snapshot.serialized)]
    }

    /// A console disconnected: stop counting it (no frames are produced for nobody).
    public mutating func consoleClosed(_ consoleId: Int) {
        consoles.remove(consoleId)
    }

    /// Pushes a frame to every console, or nothing when none is open.
    func pushToAll(_ message: JSONValue, into effects: inout [SimulatorEffect]) {
        guard !consoles.isEmpty else { return }
        effects.append(.pushToAllConsoles(text: message.serialized))
    }

    /// Pushes the current state of one conversation to every console.
    func publish(_ conversationId: String, into effects: inout [SimulatorEffect]) {
        guard let conversation = conversations[conversationId] else { return }
        pushToAll(ConsoleMessage.conversation(conversation), into: &effects)
    }
}
