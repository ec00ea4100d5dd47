import HTTPModel
import RelayJSON

extension RelayEngine {
    /// Starts a handover: records `requested`, builds the create-conversation
    /// call with the transcript so far, and queues it.
    mutating func startHandover(_ sid: SessionID, _ request: HandoverRequest, now: Int64) -> [RelayEffect] {
        let name = request.settingsName ?? config.defaultHandover
        guard let base = config.handovers[name] else {
            return failImmediately(sid, reason: "no handover settings named '\(name)' are configured", now: now)
        }
        let settings = request.resolved(on: base)
        guard config.providers[settings.provider] != nil else {
            return failImmediately(sid, reason: "handover provider '\(settings.provider)' is not configured", now: now)
        }
        let session = sessions[sid]!
        let create = GatewayRequests.createConversationBody(
            settings: settings, user: session.user, sessionID: sid, transcript: session.log.messages,
            additionalProperties: [("copilotUrl", copilotURL(for: session, now: now)), ("relaySessionId", sid.rawValue)])
        let handover = Handover(settings: settings)
        sessions[sid]!.handover = handover
        sessions[sid]!.handoverProperties = Self.visibleProperties(of: create)
        sessions[sid]!.handoverGeneration += 1
        // Queued behind whatever the previous handover still has to do (e.g. leave its conversation).
        sessions[sid]!.outbox.enqueue(.createConversation(body: create, provider: settings.provider,
                                                          generation: sessions[sid]!.handoverGeneration))
        let event = append(sid, .handover(handover.state), now: now)
        var effects = broadcast(sid, event)
        effects.append(.log(LogRecord(.info, "handover requested",
                                      ["session": sid.rawValue, "provider": settings.provider, "queue": settings.queueID])))
        effects += pumpOutbox(sid, now: now)
        return effects
    }

    /// The additional properties a create request carries, for the identity
    /// tile; `copilotUrl` is left out because it holds the signed token.
    static func visibleProperties(of create: JSONValue) -> JSONValue {
        let all = create["user"]?["additionalProperties"]?.arrayValue ?? []
        return .array(all.filter { $0["key"]?.stringValue != "copilotUrl" })
    }

    /// The standalone copilot link 8x8 shows the agent (page in web/copilot/).
    func copilotURL(for session: Session, now: Int64) -> String {
        let expires = now / 1000 + Int64(config.copilotTokenTTLSeconds)
        let token = CopilotToken.sign(sessionID: session.id, role: "agent", expiresAt: expires, secret: config.copilotSecret)
        let userID = session.user.userId ?? session.id.rawValue
        return config.publicURL.appending(path: "/copilot/").description
            + "?sessionId=\(QueryString.percentEncode(session.id.rawValue))&userId=\(QueryString.percentEncode(userID))&URLToken=\(token)"
    }

    private mutating func failImmediately(_ sid: SessionID, reason: String, now: Int64) -> [RelayEffect] {
        var handover = Handover(settings: HandoverSettings(provider: "", channelID: "", queueID: ""))
        let actions = handover.fail(reason: reason)
        sessions[sid]!.handover = handover
        return [.log(LogRecord(.error, "handover impossible: \(reason)", ["session": sid.rawValue]))]
            + apply(actions, to: sid, now: now, returnToBot: true)
    }

    mutating func cancelHandover(_ sid: SessionID, now: Int64) -> [RelayEffect] {
        var handover = sessions[sid]!.handover!
        let actions = handover.cancel()
        sessions[sid]!.handover = handover
        return apply(actions, to: sid, now: now, returnToBot: true)
    }

    /// Carries out what the handover state machine asked for.
    mutating func apply(_ actions: [Handover.Action], to sid: SessionID, now: Int64, returnToBot: Bool) -> [RelayEffect] {
        var effects: [RelayEffect] = []
        for action in actions {
            switch action {
            case .changeState(let state):
                effects += broadcast(sid, append(sid, .handover(state), now: now))
                effects.append(.log(LogRecord(.info, "handover \(state.name)", logContext(sid))))
                if state.isTerminal {
                    sessions[sid]!.outbox.dropPending(keepingRemoveUser: true)
                    if returnToBot { effects += askBot(sid, .handoverFinished(state), now: now) }
                }
            case .deliverAgentMessage(let text, let agent):
                effects += broadcast(sid, append(sid, .message(.init(from: .agent, text: text, agentID: agent)), now: now))
            case .deliverSystemMessage(let text):
                effects += broadcast(sid, append(sid, .message(.init(from: .system, text: text)), now: now))
            case .agentTyping(let active):
                effects += sendToChat(sid, ServerFrame.typing(from: .agent, active: active))
            case .removeUserFromConversation:
                // Without a conversation id the create call is still in flight; its success leaves at once.
                if let handover = sessions[sid]!.handover, let conversation = handover.conversationID {
                    sessions[sid]!.outbox.enqueue(.removeUser(conversationID: conversation, provider: handover.settings.provider))
                }
            case .ignore(let why):
                effects.append(.log(LogRecord(.debug, "ignored: \(why)", logContext(sid))))
            }
        }
        return effects + pumpOutbox(sid, now: now)
    }

    func logContext(_ sid: SessionID) -> [String: String] {
        var context = ["session": sid.rawValue]
        if let conversation = sessions[sid]?.handover?.conversationID { context["conversation"] = conversation }
        return context
    }

    /// Starts the next 8x8 call of the session if none is running and its
    /// provider's circuit lets it through; otherwise the call waits for the
    /// circuit (without counting as an attempt).
    mutating func pumpOutbox(_ sid: SessionID, now: Int64) -> [RelayEffect] {
        // Every change to a session's handover or outbox ends here (or appends an event): the snapshot may need rewriting.
        journal.touch(sid)
        while let session = sessions[sid], session.outbox.isIdle, let op = session.outbox.head {
            guard let (provider, request) = request(for: op, in: session) else {
                // Its conversation was never created (creation failed or was cancelled first).
                sessions[sid]!.outbox.finishHead()
                continue
            }
            let call = newCall(.gateway(sid, provider: provider))
            var breaker = breakers[provider] ?? CircuitBreaker(policy: config.retry.breaker)
            let permit = breaker.permit(call, now: now)
            breakers[provider] = breaker
            switch permit {
            case .call:
                sessions[sid]!.outbox.started(call)
                return [.call(call, request)]
            case .wait(let ms):
                _ = takeCall(call)
                let timer = newTimer(.retryGateway(sid))
                sessions[sid]!.outbox.waitToRetry(timer)
                return unavailabilityNotice(sid, op: op, now: now) + [.schedule(timer, afterMs: ms)]
            }
        }
        return []
    }

    /// Feeds a call's outcome to its provider's breaker; logs when the circuit opens or closes.
    mutating func recordProviderHealth(_ provider: String, call: CallID, result: OutboundResult, now: Int64) -> [RelayEffect] {
        let healthy = result.isSuccess || !result.isRetryable
        var breaker = breakers[provider] ?? CircuitBreaker(policy: config.retry.breaker)
        let transition = breaker.record(call, healthy: healthy, now: now)
        breakers[provider] = breaker
        switch transition {
        case .opened(let until):
            return [.log(LogRecord(.error, "8x8 circuit open: calls to this provider paused",
                                   ["provider": provider, "retryInMs": String(until - now), "reason": Self.describe(result)]))]
        case .closed:
            return [.log(LogRecord(.notice, "8x8 circuit closed: calls to this provider resumed", ["provider": provider]))]
        case nil:
            return []
        }
    }

    /// Tells the user once per handover, the first time its conversation
    /// cannot be created at once, that the relay keeps trying (instead of
    /// leaving them at "requested" with no word).
    mutating func unavailabilityNotice(_ sid: SessionID, op: GatewayOperation, now: Int64) -> [RelayEffect] {
        guard case .createConversation(_, _, let generation) = op, generation == sessions[sid]!.handoverGeneration,
              var handover = sessions[sid]!.handover, !handover.state.isTerminal, handover.markUnavailabilityNoticed()
        else { return [] }
        sessions[sid]!.handover = handover
        return broadcast(sid, append(sid, .message(.init(from: .system, text: Self.unavailabilityText)), now: now))
    }

    static let unavailabilityText = "Our agents can't be reached right now. We'll keep trying and connect you as soon as we can."

    /// The provider an operation goes to, and its request.
    private func request(for op: GatewayOperation, in session: Session) -> (String, OutboundRequest)? {
        switch op {
        case .createConversation(let body, let providerName, _):
            return config.providers[providerName].map { (providerName, GatewayRequests(provider: $0).createConversation(body: body)) }
        case .removeUser(let conversation, let providerName):
            return config.providers[providerName].map { (providerName, GatewayRequests(provider: $0).removeUser(conversationID: conversation)) }
        case .sendMessage, .typing:
            guard let handover = session.handover, let conversation = handover.conversationID,
                  let provider = config.providers[handover.settings.provider] else { return nil }
            let requests = GatewayRequests(provider: provider)
            if case .sendMessage(let text, _) = op { return (provider.name, requests.sendMessage(conversationID: conversation, text: text)) }
            return (provider.name, requests.typing(conversationID: conversation))
        }
    }

    mutating func gatewayCallCompleted(_ sid: SessionID, call: CallID, result: OutboundResult, now: Int64) -> [RelayEffect] {
        guard sessions[sid]?.outbox.inFlight == call, let op = sessions[sid]!.outbox.head else { return [] }
        var context = logContext(sid)
        context["call"] = op.name
        if result.isSuccess {
            sessions[sid]!.outbox.finishHead()
            if case .createConversation(_, _, let generation) = op {
                // `checked(_:answering:)` turned an answer without one into a transport error.
                let conversation = result.jsonBody!["conversationId"]!.stringValue!
                context["conversation"] = conversation
                let handover = sessions[sid]!.handover!
                guard generation == sessions[sid]!.handoverGeneration else {
                    // Created for a handover that is already over and replaced: leave it straight away.
                    sessions[sid]!.outbox.enqueueNext(.removeUser(conversationID: conversation, provider: handover.settings.provider))
                    return [.log(LogRecord(.notice, "8x8 conversation created for an earlier handover; leaving it", context))]
                        + pumpOutbox(sid, now: now)
                }
                sessions[sid]!.handover!.conversationCreated(id: conversation)
                register(conversation: conversation, for: sid)
                // Cancelled or ended while the create call was in flight: leave at once.
                if handover.state.isTerminal {
                    sessions[sid]!.outbox.enqueue(.removeUser(conversationID: conversation, provider: handover.settings.provider))
                }
                return [.log(LogRecord(.info, "8x8 conversation created", context))] + pumpOutbox(sid, now: now)
            }
            return pumpOutbox(sid, now: now)
        }
        let reason = Self.describe(result)
        let attempts = sessions[sid]!.outbox.attempts
        if result.isRetryable, attempts < config.retry.maxAttempts {
            let delay = config.retry.delayMs(afterAttempt: attempts, salt: call.rawValue)
            let timer = newTimer(.retryGateway(sid))
            sessions[sid]!.outbox.waitToRetry(timer)
            context["attempt"] = String(attempts)
            return [.log(LogRecord(.warning, "8x8 call failed (\(reason)); retrying in \(delay) ms", context)),
                    .schedule(timer, afterMs: delay)] + unavailabilityNotice(sid, op: op, now: now)
        }
        sessions[sid]!.outbox.finishHead()
        return giveUp(sid, op: op, reason: reason, userReason: Self.summarize(result), now: now)
    }

    /// A create answered 2xx without a `conversationId` was not answered by
    /// 8x8's API (a proxy's error page with the wrong status, a cut body):
    /// 8x8 most likely never saw it, so it is retried like an unreachable 8x8
    /// instead of failing the handover.
    static func checked(_ result: OutboundResult, answering op: GatewayOperation?) -> OutboundResult {
        guard case .createConversation = op, case .response(let status, let body) = result, result.isSuccess,
              result.jsonBody?["conversationId"]?.stringValue == nil else { return result }
        let excerpt = String(decoding: body.prefix(80), as: UTF8.self)
        return .transportError("8x8 answered \(status) without a conversationId: \(excerpt.debugDescription)")
    }

    /// A call failed for good. Losing a create or a message ends the handover
    /// (the user is told and is back with the bot; their messages stay in the
    /// transcript); typing and leave notifications are best effort.
    private mutating func giveUp(_ sid: SessionID, op: GatewayOperation, reason: String, userReason: String? = nil,
                                 now: Int64) -> [RelayEffect] {
        var effects: [RelayEffect] = [.log(LogRecord(.error, "8x8 \(op.name) failed: \(reason)", logContext(sid)))]
        switch op {
        case .createConversation(_, _, let generation) where generation != sessions[sid]!.handoverGeneration:
            effects += pumpOutbox(sid, now: now)  // an earlier handover's create: nothing left to fail
        case .createConversation, .sendMessage:
            guard var handover = sessions[sid]!.handover else { return effects }
            let actions = handover.fail(reason: userReason ?? reason)
            sessions[sid]!.handover = handover
            effects += apply(actions, to: sid, now: now, returnToBot: true)
        case .typing, .removeUser:
            effects += pumpOutbox(sid, now: now)
        }
        return effects
    }

    /// The reason the user (and the log's handover event) sees: what happened,
    /// without transport internals.
    static func summarize(_ result: OutboundResult) -> String {
        switch result {
        case .transportError: return "the contact center is unreachable"
        case .response(let status, _) where status >= 500 || status == 429: return "the contact center is unavailable (\(status))"
        case .response(let status, _): return "the contact center refused the request (\(status))"
        }
    }

    /// The full reason, for the log.
    static func describe(_ result: OutboundResult) -> String {
        switch result {
        case .transportError(let why): return "8x8 is unreachable: \(why)"
        case .response(let status, let body):
            let detail = (try? JSONValue.parse(bytes: body))?["message"]?.stringValue.map { ": \($0.prefix(200))" } ?? ""
            return "8x8 answered \(status)\(detail)"
        }
    }

    // MARK: Webhooks

    /// `POST /webhooks/8x8`. Always answers 2xx for well-formed events (8x8
    /// retries anything else), de-duplicating by `x-8x8-event-id`.
    public mutating func webhook(_ request: HTTPRequest, now: Int64) -> (HTTPResponse, [RelayEffect]) {
        let event: WebhookEvent
        do {
            event = try WebhookEvent.parse(body: request.body, headers: request.headers)
        } catch {
            return (.problem(400, code: "bad_webhook", message: error.message),
                    [.log(LogRecord(.warning, "rejected webhook: \(error.message)"))])
        }
        if case .verify = event.kind { return (.json(200, ["status": "verified"]), []) }
        if let id = event.eventID {
            guard firstSighting(ofWebhookEvent: id) else {
                return (.json(200, ["status": "duplicate"]), [.log(LogRecord(.debug, "duplicate webhook", ["event": id, "conversation": event.conversationID ?? "?"]))])
            }
            recordWebhook(id)
        }
        guard let conversation = event.conversationID, let sid = sessionFor(conversation: conversation),
              var handover = sessions[sid]?.handover, handover.conversationID == conversation
        else {
            return (.json(200, ["status": "ignored", "reason": "unknown conversation"]),
                    [.log(LogRecord(.notice, "webhook for an unknown conversation", ["conversation": event.conversationID ?? "?"]))])
        }
        let actions = handover.apply(event.kind)
        sessions[sid]!.handover = handover
        return (.json(200, ["status": "accepted"]), apply(actions, to: sid, now: now, returnToBot: true))
    }
}
