import HTTPModel
import RelayJSON

/// An embedded stand-in for 8x8's Chat Gateway v1, its contact-center queues
/// and the agents working them.
///
/// It is a pure value: the host feeds it HTTP requests, console connections,
/// webhook outcomes and timer expiries, each with the current time, and runs the
/// effects it returns. That makes the full handover flow testable without a
/// network, and keeps this fake well apart from the relay (it never imports
/// RelayCore, so it cannot be mistaken for the real 8x8 integration).
public struct ChatGatewaySimulator: Sendable {
    /// Why a timer was scheduled, so `timerFired` knows what to do.
    enum TimerPurpose: Sendable, Equatable {
        /// The conversation whose failed webhook goes out again (the others never waited for it).
        case webhookRetry(conversationId: String)
        case userTypingExpiry(conversationId: String, token: Int)
    }

    /// The configuration this simulator was created with.
    public let settings: SimulatorSettings
    var conversations: [String: SimulatedConversation] = [:]
    /// Conversation ids in creation order (the console lists them this way).
    var order: [String] = []
    /// Ended conversation ids, oldest first, for pruning.
    var endedOrder: [String] = []
    var outbox = WebhookOutbox()
    var consoles: Set<Int> = []
    var timers: [Int: TimerPurpose] = [:]
    var nextTimerId = 1
    var ids = IdentifierFactory()
    var faults: [FaultRule] = []
    var stats = SimulatorStats()
    /// Signs every webhook like 8x8 (nil: unsigned, for tests of other things).
    let signer: (any WebhookSigner)?
    /// Public keys registered by tests (`PUT /admin/keys/{kid}`), served like the signer's own.
    var extraKeys: [String: JSONValue] = [:]

    /// Creates an empty simulator (no conversations, nothing in flight).
    public init(settings: SimulatorSettings, signer: (any WebhookSigner)? = nil) {
        self.settings = settings
        self.signer = signer
    }

    /// Answers any HTTP request whose path starts with `settings.pathPrefix`:
    /// the Chat Gateway (`/chat-gateway/v1/…`), the agent API (`/agent/…`) and
    /// test controls (`/admin/…`). Never traps: every input gets an answer.
    public mutating func handle(_ request: HTTPRequest, nowMs: Int64) -> SimulatorOutput {
        var effects: [SimulatorEffect] = []
        let response: HTTPResponse
        do throws(Problem) {
            response = try route(request, nowMs: nowMs, effects: &effects)
        } catch {
            response = error.response
        }
        return SimulatorOutput(response: response, effects: effects)
    }

    /// Reports the outcome of a `.deliverWebhook` effect; schedules a retry or
    /// gives up after the last attempt, and starts the next waiting delivery.
    public mutating func webhookCompleted(deliveryId: Int, result: OutboundResult, nowMs: Int64) -> [SimulatorEffect] {
        completeDelivery(deliveryId: deliveryId, result: result, nowMs: nowMs)
    }

    /// A `.schedule` timer expired. Unknown or already-used ids are ignored.
    public mutating func timerFired(_ timerId: Int, nowMs: Int64) -> [SimulatorEffect] {
        guard let purpose = timers.removeValue(forKey: timerId) else { return [] }
        var effects: [SimulatorEffect] = []
        switch purpose {
        case .webhookRetry(let conversationId):
            if let attempt = outbox.retryDue(conversationId: conversationId) { effects.append(deliver(attempt, nowMs: nowMs)) }
        case .userTypingExpiry(let conversationId, let token):
            if var conversation = conversations[conversationId], conversation.userTypingToken == token,
               conversation.userTyping
            {
                conversation.userTyping = false
                conversations[conversationId] = conversation
                publish(conversationId, into: &effects)
            }
        }
        return effects
    }

    /// Splits off the prefix and dispatches to the three API families.
    private mutating func route(_ request: HTTPRequest, nowMs: Int64, effects: inout [SimulatorEffect]) throws(Problem) -> HTTPResponse {
        let prefix = settings.normalizedPrefix
        var path = Substring(request.path)
        if let query = path.firstIndex(of: "?") { path = path[..<query] }
        guard path == prefix || path.hasPrefix(prefix + "/") else { throw Problem.noRoute(request.method, String(path)) }
        let segments = path.dropFirst(prefix.count).split(separator: "/").map(String.init)
        switch segments.first {
        case "chat-gateway" where segments.count >= 2 && segments[1] == "v1":
            return try gateway(request, Array(segments.dropFirst(2)), nowMs: nowMs, effects: &effects)
        case "agent":
            return try agent(request, Array(segments.dropFirst()), nowMs: nowMs, effects: &effects)
        case "admin":
            return try admin(request, Array(segments.dropFirst()))
        case "ws" where segments == ["ws", "console"]:
            throw Problem(426, code: "UPGRADE_REQUIRED", message: "the agent console feed is a WebSocket (subprotocol simulator.console.v1)")
        default:
            throw Problem.noRoute(request.method, String(path))
        }
    }

    // MARK: - Shared helpers for the route families

    /// Every conversation, in creation order.
    var allConversations: [SimulatedConversation] { order.compactMap { conversations[$0] } }

    /// The conversation with this id, or a 404 problem.
    func existing(_ id: String) throws(Problem) -> SimulatedConversation {
        guard let conversation = conversations[id] else { throw Problem.conversationNotFound(id) }
        return conversation
    }

    /// Registers a timer purpose and returns its fresh id.
    mutating func addTimer(_ purpose: TimerPurpose) -> Int {
        let id = nextTimerId
        nextTimerId += 1
        timers[id] = purpose
        return id
    }

    /// Adds a newly created conversation.
    mutating func insert(_ conversation: SimulatedConversation) {
        conversations[conversation.id] = conversation
        order.append(conversation.id)
    }

    /// Marks a conversation ended and forgets the oldest ended ones beyond the retention limit.
    mutating func end(_ id: String, by party: String, nowMs: Int64, effects: inout [SimulatorEffect]) {
        guard var conversation = conversations[id] else { return }
        conversation.state = .ended
        conversation.endedBy = party
        conversation.endedAtMs = nowMs
        conversation.userTyping = false
        conversation.agentTyping = false
        conversations[id] = conversation
        publish(id, into: &effects)
        endedOrder.append(id)
        while endedOrder.count > max(settings.maxEndedConversations, 1) {  // keep at least the one just ended
            let old = endedOrder.removeFirst()
            conversations[old] = nil
            order.removeAll { $0 == old }
            pushToAll(ConsoleMessage.removed(old), into: &effects)
        }
    }
}
