/// One handover to a human, as a state machine: events in (8x8 webhooks, the
/// user's cancel/end, call outcomes), the resulting actions out. No I/O.
public struct Handover: Equatable, Sendable {
    public let settings: HandoverSettings
    public private(set) var state: HandoverState
    /// Known once `POST /conversations` answered 202.
    public private(set) var conversationID: String?
    /// Set by TRANSFER: the next "agent left" is part of the transfer, not the end.
    public private(set) var transferPending = false
    /// The user was told 8x8 cannot be reached and the relay keeps trying (once per handover).
    public private(set) var unavailabilityNoticed = false

    public init(settings: HandoverSettings) {
        self.settings = settings
        self.state = .requested(queueID: settings.queueID)
    }

    /// A handover as it was saved before a restart.
    init(settings: HandoverSettings, state: HandoverState, conversationID: String?, transferPending: Bool) {
        self.settings = settings
        self.state = state
        self.conversationID = conversationID
        self.transferPending = transferPending
    }

    /// What applying an event asks the relay to do.
    public enum Action: Equatable, Sendable {
        /// Record and announce the new state.
        case changeState(HandoverState)
        case deliverAgentMessage(text: String, agentID: String?)
        case deliverSystemMessage(String)
        case agentTyping(Bool)
        /// Tell 8x8 the user left (frees the agent after it closed the chat).
        case removeUserFromConversation
        /// Nothing to do; the reason is logged.
        case ignore(String)
    }

    /// Returns true the first time only.
    mutating func markUnavailabilityNoticed() -> Bool {
        defer { unavailabilityNoticed = true }
        return !unavailabilityNoticed
    }

    public mutating func conversationCreated(id: String) {
        conversationID = id
    }

    /// The user cancels while waiting or while talking to an agent.
    public mutating func cancel() -> [Action] {
        guard !state.isTerminal else { return [.ignore("cancel after \(state.name)")] }
        return transition(to: .cancelled) + (conversationID != nil ? [.removeUserFromConversation] : [])
    }

    /// The user ends the whole chat.
    public mutating func userEnded() -> [Action] {
        guard !state.isTerminal else { return [] }
        return transition(to: .ended(by: .user)) + (conversationID != nil ? [.removeUserFromConversation] : [])
    }

    /// The 8x8 side could not be reached or refused, after retries.
    public mutating func fail(reason: String) -> [Action] {
        guard !state.isTerminal else { return [] }
        // If the conversation exists, leave it (best effort) so the agent is not left with a dead chat.
        return transition(to: .failed(reason: reason)) + (conversationID != nil ? [.removeUserFromConversation] : [])
    }

    /// Applies one webhook event. Events after a terminal state are ignored;
    /// duplicates and stale events (e.g. QUEUED arriving after the agent
    /// joined) change nothing.
    public mutating func apply(_ event: WebhookEvent.Kind) -> [Action] {
        guard !state.isTerminal else { return [.ignore("event after handover \(state.name)")] }
        switch event {
        case .verify, .other:
            return [.ignore("no effect on a handover")]

        case .queued(let queueID, let queueName):
            switch state {
            case .requested, .transferred, .queued:
                let next = HandoverState.queued(queueID: queueID ?? settings.queueID, queueName: queueName)
                return next == state ? [.ignore("duplicate QUEUED")] : transition(to: next)
            case .active:
                return [.ignore("QUEUED after an agent joined (out of order)")]
            case .ended, .cancelled, .failed:
                return []
            }

        case .conversationUpdate(_, let assignmentType, let assignmentID):
            // Either this or MEMBERS_CHANGED may arrive first; both mean an agent has the chat.
            guard assignmentType == "agent", let agent = assignmentID else { return [.ignore("conversation update")] }
            return agentJoined(agent)

        case .membersChanged(let memberType, let change, let id):
            switch (memberType, change) {
            case ("agent", "joined"): return agentJoined(id ?? "agent")
            case ("agent", "left"): return agentLeft(id)
            case ("user", "left"): return transition(to: .ended(by: .user))
            default: return [.ignore("members changed: \(memberType) \(change)")]
            }

        case .transfer:
            guard case .active = state else { return [.ignore("TRANSFER while \(state.name)")] }
            transferPending = true
            return transition(to: .transferred)

        case .message(let isEcho, let senderType, let senderID, let text):
            if isEcho { return [.ignore("echo of our own message")] }
            switch senderType {
            case "agent": return [.deliverAgentMessage(text: text, agentID: senderID)]
            case "system": return text.isEmpty ? [.ignore("empty system message")] : [.deliverSystemMessage(text)]
            default: return [.ignore("message from \(senderType ?? "unknown sender")")]
            }

        case .typing(let active, _):
            return [.agentTyping(active)]
        }
    }

    private mutating func agentJoined(_ agent: String) -> [Action] {
        if case .active(let current) = state, current == agent { return [.ignore("agent \(agent) already active")] }
        transferPending = false
        return transition(to: .active(agentID: agent))
    }

    private mutating func agentLeft(_ id: String?) -> [Action] {
        if transferPending || state == .transferred { return [.ignore("agent left as part of a transfer")] }
        guard case .active(let current) = state else { return [.ignore("agent left while \(state.name)")] }
        // A late "left" of an earlier agent (out of order after a transfer) must not end the new agent's chat.
        // Only a known, different id proves staleness; without one, "left" is taken at its word.
        if let id, current != "agent", id != current { return [.ignore("agent \(id) left, but \(current) has the chat")] }
        return transition(to: .ended(by: .agent)) + [.removeUserFromConversation]
    }

    private mutating func transition(to next: HandoverState) -> [Action] {
        state = next
        return [.changeState(next)]
    }
}
