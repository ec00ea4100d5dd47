import HTTPModel
import RelayJSON

/// The 8x8 calls of each session: one in flight at a time (``GatewayOutbox``),
/// retried with backoff, held while the provider's ``CircuitBreaker`` is open,
/// and given up on — failing the handover — when the policy says so.
extension RelayEngine {
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
                registerCreated(conversation: conversation, for: sid)
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
}
