/// What an outbound call the engine asked for is about: its metric label and
/// the ids its log lines should carry. Asked by the shell when it starts the
/// call, so ``RelayEffect/call(_:_:)`` keeps its shape.
public struct CallContext: Equatable, Sendable {
    /// `relay_8x8_call_*{operation}`: create_conversation, send_message,
    /// typing, remove_user — or `bot` for an external bot call (not 8x8).
    public var operation: String
    public var session: SessionID
    /// The 8x8 conversation, once the handover has one.
    public var conversation: String?

    public var isGateway: Bool { operation != Self.botOperation }

    static let botOperation = "bot"

    /// Log metadata: `session` and, during a handover, `conversation`.
    public var logMetadata: [String: String] {
        var metadata = ["session": session.rawValue, "operation": operation]
        if let conversation { metadata["conversation"] = conversation }
        return metadata
    }
}

extension GatewayOperation {
    /// The operation as a metric label value (snake case, bounded).
    public var metricLabel: String {
        switch self {
        case .createConversation: "create_conversation"
        case .sendMessage: "send_message"
        case .typing: "typing"
        case .removeUser: "remove_user"
        }
    }
}

extension RelayEngine {
    /// The context of a call still in flight; nil once it completed (or for an unknown id).
    public func callContext(_ call: CallID) -> CallContext? {
        switch pendingCalls[call] {
        case .gateway(let sid, _):
            guard let session = sessions[sid], session.outbox.inFlight == call, let op = session.outbox.head else { return nil }
            let conversation: String? = if case .removeUser(let id, _) = op { id } else { session.handover?.conversationID }
            return CallContext(operation: op.metricLabel, session: sid, conversation: conversation)
        case .bot(let sid):
            return CallContext(operation: CallContext.botOperation, session: sid, conversation: nil)
        case nil:
            return nil
        }
    }
}
