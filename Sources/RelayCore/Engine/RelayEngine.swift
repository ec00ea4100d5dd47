import CopilotAnalyzers
import HTTPModel
import RelayCrypto
import RelayJSON

/// The relay's whole decision logic as one value: every input (a chat frame,
/// a webhook, an HTTP result, a timer) is a `mutating func` that returns the
/// effects the shell must carry out. Nothing here blocks, reads a clock or
/// touches a socket; `now` (ms since the epoch) is passed in.
public struct RelayEngine: Sendable {
    public private(set) var config: RelayCoreConfig
    public internal(set) var sessions: [SessionID: Session] = [:]
    private var identifiers: any IdentifierSource
    /// Which session each chat connection is attached to (nil until `hello`).
    var connections: [ConnectionID: SessionID?] = [:]
    /// Chat connections still receiving their resume replay: the last seq queued for each.
    var chatReplays: [ConnectionID: Int] = [:]
    /// Copilot watchers and the session each subscribed to (nil until `subscribe`).
    var copilotConnections: [ConnectionID: SessionID?] = [:]
    /// Per-session analyzer state for the copilot (incremental caches).
    var workspaces: [SessionID: CopilotWorkspace] = [:]
    private var sessionByConversation: [String: SessionID] = [:]
    var pendingCalls: [CallID: PendingCall] = [:]
    private var pendingTimers: [TimerID: PendingTimer] = [:]
    private var webhookDedupe: RecentSet
    /// Built once from the script (its keywords pre-split), not per message.
    let ruleBot: RuleBot
    /// Changes for the durable store, taken by the shell (``takeChanges()``).
    var journal = Journal()
    /// Messages appended since start, by direction (`relay_messages_total`).
    public private(set) var messageTally = MessageTally()
    private var nextCall: UInt64 = 1
    private var nextTimer: UInt64 = 1
    /// One circuit breaker per 8x8 provider, by name (created on first use).
    public internal(set) var breakers: [String: CircuitBreaker] = [:]
    /// New sessions refused at `limits.maxSessions` (a metric).
    public private(set) var sessionsRefused = 0

    enum PendingCall: Sendable {
        /// A call to an 8x8 provider, by name (its outcome feeds that provider's breaker).
        case gateway(SessionID, provider: String)
        case bot(SessionID)
    }

    enum PendingTimer: Sendable {
        case retryGateway(SessionID)
    }

    public init(config: RelayCoreConfig, identifiers: any IdentifierSource = SecureIdentifiers()) {
        self.config = config
        self.identifiers = identifiers
        self.webhookDedupe = RecentSet(capacity: config.webhookDedupeCapacity)
        if case .rules(let script) = config.bot { ruleBot = RuleBot(script: script) } else { ruleBot = RuleBot() }
    }

    public func session(_ id: SessionID) -> Session? { sessions[id] }
    public var connectionCount: Int { connections.count }

    // MARK: Chat connections

    public mutating func chatConnected(_ connection: ConnectionID) {
        connections[connection] = .some(nil)
    }

    public mutating func chatDisconnected(_ connection: ConnectionID) {
        chatReplays.removeValue(forKey: connection)
        if case .some(.some(let sid)) = connections.removeValue(forKey: connection) {
            sessions[sid]?.connections.remove(connection)
        }
    }

    /// One text frame from an end user.
    public mutating func chatFrame(_ connection: ConnectionID, text: String, now: Int64) -> [RelayEffect] {
        guard let attached = connections[connection] else { return [] }
        let frame: ClientFrame
        do {
            frame = try ClientFrame.decode(text, limits: config.limits)
        } catch {
            return [.send(connection, ServerFrame.error(error))]
        }
        if case .hello(let hello) = frame {
            guard attached == nil else {
                return [.send(connection, ServerFrame.error(ChatProtocolError(.alreadyStarted, "this connection already has a session")))]
            }
            return self.hello(connection, hello, now: now)
        }
        guard let sid = attached, let session = sessions[sid] else {
            return [.send(connection, ServerFrame.error(ChatProtocolError(.helloRequired, "send 'hello' first")))]
        }
        guard !session.ended else {
            return [.send(connection, ServerFrame.error(ChatProtocolError(.sessionEnded, "this session has ended; start a new one")))]
        }
        switch frame {
        case .hello: return []
        case .message(let id, let text): return userMessage(sid, connection: connection, clientID: id, text: text, now: now)
        case .typing(let active): return userTyping(sid, active: active, now: now)
        case .requestHandover:
            if session.isWithHuman {
                return [.send(connection, ServerFrame.error(ChatProtocolError(.handoverInProgress, "a handover is already in progress")))]
            }
            return startHandover(sid, HandoverRequest(), now: now)
        case .cancelHandover:
            guard session.isWithHuman else {
                return [.send(connection, ServerFrame.error(ChatProtocolError(.noHandover, "there is no handover to cancel")))]
            }
            return cancelHandover(sid, now: now)
        case .end:
            return endSession(sid, now: now)
        }
    }

    private mutating func hello(_ connection: ConnectionID, _ hello: ClientFrame.Hello, now: Int64) -> [RelayEffect] {
        if let sid = hello.sessionID {
            guard let session = sessions[sid] else {
                return [.send(connection, ServerFrame.error(ChatProtocolError(.unknownSession, "no session '\(sid.rawValue.prefix(64))'")))]
            }
            guard let token = hello.resumeToken, Crypto.constantTimeEqual(Array(token.utf8), Array(session.resumeToken.utf8)) else {
                return [.send(connection, ServerFrame.error(ChatProtocolError(.badResumeToken, "resumeToken does not match this session")))]
            }
            attach(connection, to: sid)
            let after = hello.lastSeq ?? 0
            var effects: [RelayEffect] = [
                .send(connection, ServerFrame.welcome(sessionID: sid, resumeToken: session.resumeToken, resumed: true,
                                                      lastSeq: session.log.lastSeq, handover: session.handover?.state,
                                                      ended: session.ended))
            ]
            effects += startReplay(connection, sid, after: after)
            return effects
        }
        guard sessions.count < config.limits.maxSessions else {
            // Resumes still work: only new sessions would grow what the relay holds.
            sessionsRefused += 1
            return [.send(connection, ServerFrame.error(ChatProtocolError(.serverFull, "the relay is at its session limit; try again later"))),
                    .close(connection, code: CloseCode.tryAgainLater, reason: "server full"),
                    .log(LogRecord(.warning, "new session refused: limits.maxSessions reached", ["limit": "\(config.limits.maxSessions)"]))]
        }
        let sid = identifiers.newSessionID()
        let session = Session(id: sid, resumeToken: identifiers.newSecret(), user: hello.user)
        sessions[sid] = session
        journal.touch(sid)
        attach(connection, to: sid)
        var effects: [RelayEffect] = [
            .send(connection, ServerFrame.welcome(sessionID: sid, resumeToken: session.resumeToken, resumed: false, lastSeq: 0, handover: nil)),
            .log(LogRecord(.info, "session started", ["session": sid.rawValue])),
        ]
        effects += askBot(sid, .sessionStarted(hello.user), now: now)
        return effects
    }

    private mutating func attach(_ connection: ConnectionID, to sid: SessionID) {
        connections[connection] = .some(sid)
        sessions[sid]?.connections.insert(connection)
    }

    private mutating func userMessage(_ sid: SessionID, connection: ConnectionID, clientID: String, text: String, now: Int64) -> [RelayEffect] {
        // A retransmission (e.g. after a reconnect) is acknowledged again, never stored or relayed twice.
        if let seq = sessions[sid]!.log.seq(forClientID: clientID) {
            return [.send(connection, ServerFrame.ack(id: clientID, seq: seq))]
        }
        let event = append(sid, .message(.init(from: .user, text: text, clientID: clientID)), now: now)
        var effects: [RelayEffect] = [.send(connection, ServerFrame.ack(id: clientID, seq: event.seq))]
        effects += broadcast(sid, event)
        if sessions[sid]!.isWithHuman {
            sessions[sid]!.outbox.enqueue(.sendMessage(text: text, seq: event.seq))
            effects += pumpOutbox(sid, now: now)
        } else {
            effects += askBot(sid, .userMessage(text), now: now)
        }
        return effects
    }

    private mutating func userTyping(_ sid: SessionID, active: Bool, now: Int64) -> [RelayEffect] {
        // 8x8 only has "is typing"; the agent's indicator expires by itself.
        // `now - 3_000 >= last`, not `now - last`: `last` starts at Int64.min and the subtraction would trap.
        guard active, sessions[sid]!.isWithHuman, now - 3_000 >= sessions[sid]!.lastTypingSentMs else { return [] }
        sessions[sid]!.lastTypingSentMs = now
        sessions[sid]!.outbox.enqueue(.typing)
        return pumpOutbox(sid, now: now)
    }

    private mutating func endSession(_ sid: SessionID, now: Int64) -> [RelayEffect] {
        var effects: [RelayEffect] = []
        if var handover = sessions[sid]!.handover {
            let actions = handover.userEnded()
            sessions[sid]!.handover = handover
            effects += apply(actions, to: sid, now: now, returnToBot: false)
        }
        let event = append(sid, .message(.init(from: .system, text: "The chat has ended.")), now: now)
        effects += broadcast(sid, event)
        sessions[sid]!.ended = true
        effects += sessions[sid]!.connections.sorted().map { .close($0, code: CloseCode.normal, reason: "chat ended") }
        effects.append(.log(LogRecord(.info, "session ended by user", logContext(sid))))
        return effects
    }

    // MARK: Helpers shared by the extensions

    /// A just-stored event with its wire form, built once for the log and the chat frame.
    struct AppendedEvent {
        let event: SessionEvent
        /// The chat frame: the event's wire form, serialized once (the log's payload is built around the same bytes).
        let frame: String
        var seq: Int { event.seq }
    }

    /// Appends to the session log (and the journal) and returns the stored event.
    mutating func append(_ sid: SessionID, _ kind: SessionEvent.Kind, now: Int64) -> AppendedEvent {
        if case .message(let message) = kind {
            messageTally.count(MessageDirection(author: message.from, withHuman: sessions[sid]!.isWithHuman))
        }
        let event = sessions[sid]!.log.append(kind, ts: now)
        let frame = event.wire.serializedBytes
        journal.record(event, frame: frame, of: sessions[sid]!)
        return AppendedEvent(event: event, frame: String(decoding: frame, as: UTF8.self))
    }

    /// Publishes a stored event: to every chat connection of the session and to its copilot.
    mutating func broadcast(_ sid: SessionID, _ appended: AppendedEvent) -> [RelayEffect] {
        sendToChat(sid, appended.frame) + copilotObserve(sid, appended.event, now: appended.event.ts)
    }

    /// Sends one frame to every chat connection of the session (stored events and typing alike),
    /// except those still replaying: their replay brings the stored events in order.
    func sendToChat(_ sid: SessionID, _ text: String) -> [RelayEffect] {
        sessions[sid]!.connections.sorted().filter { chatReplays[$0] == nil }.map { .send($0, text) }
    }

    mutating func newCall(_ purpose: PendingCall) -> CallID {
        let id = CallID(nextCall)
        nextCall += 1
        pendingCalls[id] = purpose
        return id
    }

    mutating func newTimer(_ purpose: PendingTimer) -> TimerID {
        let id = TimerID(nextTimer)
        nextTimer += 1
        pendingTimers[id] = purpose
        return id
    }

    mutating func takeCall(_ id: CallID) -> PendingCall? { pendingCalls.removeValue(forKey: id) }
    mutating func takeTimer(_ id: TimerID) -> PendingTimer? { pendingTimers.removeValue(forKey: id) }

    mutating func register(conversation: String, for sid: SessionID) { sessionByConversation[conversation] = sid }
    func sessionFor(conversation: String) -> SessionID? { sessionByConversation[conversation] }
    mutating func forget(conversation: String) { sessionByConversation.removeValue(forKey: conversation) }
    mutating func firstSighting(ofWebhookEvent id: String) -> Bool { webhookDedupe.insert(id) }

    /// A webhook event id processed now, remembered across restarts.
    mutating func recordWebhook(_ id: String) { journal.webhookIDs.append(id) }

    // MARK: Outcomes of calls and timers

    /// An HTTP call made for the core has finished.
    public mutating func callCompleted(_ call: CallID, result: OutboundResult, now: Int64) -> [RelayEffect] {
        switch takeCall(call) {
        case .gateway(let sid, let provider):
            let result = Self.checked(result, answering: sessions[sid]?.outbox.inFlight == call ? sessions[sid]?.outbox.head : nil)
            return recordProviderHealth(provider, call: call, result: result, now: now)
                + gatewayCallCompleted(sid, call: call, result: result, now: now)
        case .bot(let sid): return botCallCompleted(sid, result: result, now: now)
        case nil: return [.log(LogRecord(.warning, "result for an unknown call", ["call": call.description]))]
        }
    }

    /// Forgets idle sessions (see ``RelayCoreConfig/sessionIdleTTLSeconds``).
    /// The shell calls this periodically; it keeps memory bounded in a
    /// long-running relay until the durable log takes over retention.
    public mutating func sweepIdleSessions(now: Int64) -> [RelayEffect] {
        let cutoff = now - Int64(config.sessionIdleTTLSeconds) * 1000
        let idle = sessions.values.filter { session in
            session.connections.isEmpty && !session.isWithHuman && session.outbox.queue.isEmpty
                && (session.log.events.last?.ts ?? 0) < cutoff
        }.map(\.id)
        guard !idle.isEmpty else { return [] }
        var effects: [RelayEffect] = []
        for sid in idle {
            // Copilot pages still open on a forgotten session are told so (they must not retry).
            for watcher in sessions[sid]!.copilot.watchers.sorted() {
                effects += [.send(watcher, CopilotFrame.error(code: "unknown_session", message: "the session has expired")),
                            .close(watcher, code: CopilotCloseCode.unknownSession, reason: "unknown_session")]
                copilotConnections.removeValue(forKey: watcher)
            }
            if let conversation = sessions[sid]?.handover?.conversationID { forget(conversation: conversation) }
            sessions.removeValue(forKey: sid)
            workspaces.removeValue(forKey: sid)
            journal.finished.append(sid)
            journal.persisted.removeValue(forKey: sid)
        }
        return effects + [.log(LogRecord(.info, "forgot idle sessions", ["count": String(idle.count), "remaining": String(sessions.count)]))]
    }

    public mutating func timerFired(_ timer: TimerID, now: Int64) -> [RelayEffect] {
        switch takeTimer(timer) {
        case .retryGateway(let sid):
            guard sessions[sid]?.outbox.retryTimer == timer else { return [] }  // superseded (e.g. cancelled)
            sessions[sid]!.outbox.retryDue()
            return pumpOutbox(sid, now: now)
        case nil:
            return []
        }
    }
}

/// A bounded set remembering the most recent insertions (webhook event ids).
struct RecentSet: Sendable {
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Inserts `id`; false when it was already present.
    mutating func insert(_ id: String) -> Bool {
        guard !members.contains(id) else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        members.insert(id)
        return true
    }
}
