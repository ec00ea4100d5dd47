import Testing
@testable import RelayCore

/// Ignore reasons are for logs; tests compare actions with the reason blanked.
private func normalized(_ actions: [Handover.Action]) -> [Handover.Action] {
    actions.map { if case .ignore = $0 { return .ignore("") } else { return $0 } }
}

private let settings = HandoverSettings(provider: "default", channelID: "c", queueID: "q")

/// The seven states, each reached the way the relay reaches it (conversation "X" created).
enum StartState: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case requested, queued, active, transferred, ended, cancelled, failed

    var testDescription: String { rawValue }

    func make() -> Handover {
        var h = Handover(settings: settings)
        h.conversationCreated(id: "X")
        switch self {
        case .requested: break
        case .queued: _ = h.apply(.queued(queueID: "q", queueName: "Support"))
        case .active: _ = h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1"))
        case .transferred:
            _ = h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1"))
            _ = h.apply(.transfer)
        case .ended:
            _ = h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1"))
            _ = h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag1"))
        case .cancelled: _ = h.cancel()
        case .failed: _ = h.fail(reason: "boom")
        }
        return h
    }

    var state: HandoverState {
        switch self {
        case .requested: .requested(queueID: "q")
        case .queued: .queued(queueID: "q", queueName: "Support")
        case .active: .active(agentID: "ag1")
        case .transferred: .transferred
        case .ended: .ended(by: .agent)
        case .cancelled: .cancelled
        case .failed: .failed(reason: "boom")
        }
    }
}

/// Every webhook kind the parser produces, in the variants that matter.
enum EventCase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case verify, other, updateAgent, updateQueue, queued, agentJoined, agentLeft, userLeft, userJoined, transfer,
         agentMessage, echoMessage, systemMessage, userMessage, typingStarted, typingStopped

    var testDescription: String { rawValue }

    var kind: WebhookEvent.Kind {
        switch self {
        case .verify: .verify
        case .other: .other(eventType: "ACTIVITY/quickReply/action")
        case .updateAgent: .conversationUpdate(state: "active", assignmentType: "agent", assignmentID: "ag2")
        case .updateQueue: .conversationUpdate(state: "created", assignmentType: "queue", assignmentID: "q")
        case .queued: .queued(queueID: "q2", queueName: "Sales")
        case .agentJoined: .membersChanged(memberType: "agent", change: "joined", id: "ag2")
        case .agentLeft: .membersChanged(memberType: "agent", change: "left", id: "ag1")
        case .userLeft: .membersChanged(memberType: "user", change: "left", id: nil)
        case .userJoined: .membersChanged(memberType: "user", change: "joined", id: nil)
        case .transfer: .transfer
        case .agentMessage: .message(isEcho: false, senderType: "agent", senderID: "ag1", text: "Hi, I'm Bob")
        case .echoMessage: .message(isEcho: true, senderType: "user", senderID: "u1", text: "relayed by us")
        case .systemMessage: .message(isEcho: false, senderType: "system", senderID: nil, text: "Agent is reconnecting")
        case .userMessage: .message(isEcho: false, senderType: "user", senderID: "u1", text: "hello")
        case .typingStarted: .typing(active: true, userIDs: ["ag1"])
        case .typingStopped: .typing(active: false, userIDs: [])
        }
    }
}

/// The specification: what each event does in each state.
/// `nil` state means "unchanged".
private func expected(_ start: StartState, _ event: EventCase) -> (actions: [Handover.Action], state: HandoverState) {
    let ignore: [Handover.Action] = [.ignore("")]
    let same = start.state
    func to(_ next: HandoverState, plus extra: [Handover.Action] = []) -> ([Handover.Action], HandoverState) {
        ([.changeState(next)] + extra, next)
    }
    switch start {
    case .ended, .cancelled, .failed:
        return (ignore, same)  // after a terminal state nothing changes
    case .requested, .queued, .active, .transferred:
        break
    }
    switch event {
    case .verify, .other, .updateQueue, .userJoined, .echoMessage, .userMessage:
        return (ignore, same)
    case .updateAgent, .agentJoined:
        return to(.active(agentID: "ag2"))
    case .queued:
        return start == .active ? (ignore, same) : to(.queued(queueID: "q2", queueName: "Sales"))
    case .agentLeft:
        return start == .active ? to(.ended(by: .agent), plus: [.removeUserFromConversation]) : (ignore, same)
    case .userLeft:
        return to(.ended(by: .user))
    case .transfer:
        return start == .active ? to(.transferred) : (ignore, same)
    case .agentMessage:
        return ([.deliverAgentMessage(text: "Hi, I'm Bob", agentID: "ag1")], same)
    case .systemMessage:
        return ([.deliverSystemMessage("Agent is reconnecting")], same)
    case .typingStarted:
        return ([.agentTyping(true)], same)
    case .typingStopped:
        return ([.agentTyping(false)], same)
    }
}

@Suite struct HandoverTests {
    @Test func startsRequestedOnTheConfiguredQueue() {
        let h = Handover(settings: settings)
        #expect(h.state == .requested(queueID: "q"))
        #expect(h.conversationID == nil)
        #expect(!h.transferPending)
        #expect(h.settings == settings)
    }

    @Test(arguments: StartState.allCases)
    func fixturesReachTheirState(start: StartState) {
        let h = start.make()
        #expect(h.state == start.state)
        #expect(h.conversationID == "X")
        #expect(h.transferPending == (start == .transferred))
    }

    /// Every webhook kind in every state.
    @Test(arguments: StartState.allCases, EventCase.allCases)
    func everyEventInEveryState(start: StartState, event: EventCase) {
        var h = start.make()
        let actions = h.apply(event.kind)
        let want = expected(start, event)
        #expect(normalized(actions) == want.actions)
        #expect(h.state == want.state)
        #expect(h.conversationID == "X")
    }

    // MARK: duplicates and out-of-order events

    @Test func duplicateQueuedChangesNothing() {
        var h = Handover(settings: settings)
        #expect(h.apply(.queued(queueID: "q", queueName: "Support")) == [.changeState(.queued(queueID: "q", queueName: "Support"))])
        #expect(normalized(h.apply(.queued(queueID: "q", queueName: "Support"))) == [.ignore("")])
        #expect(h.state == .queued(queueID: "q", queueName: "Support"))
    }

    @Test func queuedWithoutQueueIDFallsBackToTheConfiguredQueue() {
        var h = Handover(settings: settings)
        #expect(h.apply(.queued(queueID: nil, queueName: nil)) == [.changeState(.queued(queueID: "q", queueName: nil))])
    }

    @Test func queuedAfterTheAgentJoinedIsStale() {
        var h = Handover(settings: settings)
        _ = h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1"))
        #expect(normalized(h.apply(.queued(queueID: "q", queueName: "Support"))) == [.ignore("")])
        #expect(h.state == .active(agentID: "ag1"))
    }

    @Test func joinedViaConversationUpdateThenMembersChangedIsOneTransition() {
        var h = Handover(settings: settings)
        #expect(h.apply(.conversationUpdate(state: "active", assignmentType: "agent", assignmentID: "ag1"))
                == [.changeState(.active(agentID: "ag1"))])
        #expect(normalized(h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1"))) == [.ignore("")])
        // …and the other way round.
        var g = Handover(settings: settings)
        #expect(g.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1")) == [.changeState(.active(agentID: "ag1"))])
        #expect(normalized(g.apply(.conversationUpdate(state: "active", assignmentType: "agent", assignmentID: "ag1"))) == [.ignore("")])
        #expect(g.state == .active(agentID: "ag1"))
    }

    @Test func conversationUpdateWithoutAgentIDIsIgnored() {
        var h = Handover(settings: settings)
        #expect(normalized(h.apply(.conversationUpdate(state: "active", assignmentType: "agent", assignmentID: nil))) == [.ignore("")])
        #expect(normalized(h.apply(.conversationUpdate(state: nil, assignmentType: nil, assignmentID: nil))) == [.ignore("")])
        #expect(h.state == .requested(queueID: "q"))
    }

    @Test func agentJoinedWithoutIDStillActivates() {
        var h = Handover(settings: settings)
        #expect(h.apply(.membersChanged(memberType: "agent", change: "joined", id: nil)) == [.changeState(.active(agentID: "agent"))])
    }

    @Test func transferThenAgentLeftThenQueuedThenNewAgent() {
        var h = StartState.active.make()
        #expect(h.apply(.transfer) == [.changeState(.transferred)])
        #expect(h.transferPending)
        // The old agent leaving is part of the transfer, not the end.
        #expect(normalized(h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag1"))) == [.ignore("")])
        #expect(h.state == .transferred)
        #expect(h.apply(.queued(queueID: "q2", queueName: "Tier 2")) == [.changeState(.queued(queueID: "q2", queueName: "Tier 2"))])
        // A late duplicate of the left event while queued for the new agent is still part of the transfer.
        #expect(normalized(h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag1"))) == [.ignore("")])
        #expect(h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag2")) == [.changeState(.active(agentID: "ag2"))])
        #expect(!h.transferPending)
        // Now the new agent leaving really is the end.
        #expect(h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag2"))
                == [.changeState(.ended(by: .agent)), .removeUserFromConversation])
        #expect(h.state == .ended(by: .agent))
    }

    @Test func transferDirectlyToAnotherAgent() {
        var h = StartState.active.make()
        _ = h.apply(.transfer)
        _ = h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag1"))
        #expect(h.apply(.conversationUpdate(state: "active", assignmentType: "agent", assignmentID: "ag2")) == [.changeState(.active(agentID: "ag2"))])
        #expect(normalized(h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag2"))) == [.ignore("")])
        #expect(h.state == .active(agentID: "ag2"))
    }

    @Test func echoMessagesAreIgnoredWhoeverSentThem() {
        var h = StartState.active.make()
        for sender in ["user", "bot", "agent", nil] as [String?] {
            #expect(normalized(h.apply(.message(isEcho: true, senderType: sender, senderID: nil, text: "x"))) == [.ignore("")])
        }
        #expect(h.state == .active(agentID: "ag1"))
    }

    @Test func emptySystemMessagesAreIgnored() {
        var h = StartState.active.make()
        #expect(normalized(h.apply(.message(isEcho: false, senderType: "system", senderID: nil, text: ""))) == [.ignore("")])
        #expect(normalized(h.apply(.message(isEcho: false, senderType: nil, senderID: nil, text: "who?"))) == [.ignore("")])
    }

    @Test func agentMessageWithoutSenderID() {
        var h = StartState.active.make()
        #expect(h.apply(.message(isEcho: false, senderType: "agent", senderID: nil, text: "hi")) == [.deliverAgentMessage(text: "hi", agentID: nil)])
    }

    @Test func agentLeftEndsAndRemovesTheUser() {
        var h = StartState.active.make()
        #expect(h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag1"))
                == [.changeState(.ended(by: .agent)), .removeUserFromConversation])
        #expect(h.state.isTerminal)
        // Whatever follows is ignored.
        #expect(normalized(h.apply(.membersChanged(memberType: "agent", change: "left", id: "ag1"))) == [.ignore("")])
        #expect(normalized(h.apply(.membersChanged(memberType: "agent", change: "joined", id: "ag1"))) == [.ignore("")])
        #expect(h.state == .ended(by: .agent))
    }

    // MARK: user actions and failures

    @Test(arguments: [StartState.requested, .queued, .active, .transferred])
    func cancelWithConversationRemovesTheUser(start: StartState) {
        var h = start.make()
        #expect(h.cancel() == [.changeState(.cancelled), .removeUserFromConversation])
        #expect(h.state == .cancelled)
    }

    @Test func cancelBeforeTheConversationExists() {
        var h = Handover(settings: settings)
        #expect(h.cancel() == [.changeState(.cancelled)])
        #expect(h.state == .cancelled)
    }

    @Test(arguments: [StartState.ended, .cancelled, .failed])
    func cancelAfterTheEndIsIgnored(start: StartState) {
        var h = start.make()
        #expect(normalized(h.cancel()) == [.ignore("")])
        #expect(h.state == start.state)
    }

    @Test(arguments: [StartState.requested, .queued, .active, .transferred])
    func userEndedWithConversationRemovesTheUser(start: StartState) {
        var h = start.make()
        #expect(h.userEnded() == [.changeState(.ended(by: .user)), .removeUserFromConversation])
        #expect(h.state == .ended(by: .user))
    }

    @Test func userEndedBeforeTheConversationExists() {
        var h = Handover(settings: settings)
        #expect(h.userEnded() == [.changeState(.ended(by: .user))])
    }

    @Test(arguments: [StartState.ended, .cancelled, .failed])
    func userEndedAfterTheEndDoesNothing(start: StartState) {
        var h = start.make()
        #expect(h.userEnded() == [])
        #expect(h.state == start.state)
    }

    @Test(arguments: [StartState.requested, .queued, .active, .transferred])
    func failFromEveryLiveState(start: StartState) {
        var h = start.make()
        // With a conversation (every fixture state but `requested`), the user leaves it so the agent is freed.
        let leave: [Handover.Action] = h.conversationID != nil ? [.removeUserFromConversation] : []
        #expect(h.fail(reason: "8x8 is unreachable") == [.changeState(.failed(reason: "8x8 is unreachable"))] + leave)
        #expect(h.state == .failed(reason: "8x8 is unreachable"))
    }

    @Test(arguments: [StartState.ended, .cancelled, .failed])
    func failAfterTheEndDoesNothing(start: StartState) {
        var h = start.make()
        #expect(h.fail(reason: "late") == [])
        #expect(h.state == start.state)
    }
}
