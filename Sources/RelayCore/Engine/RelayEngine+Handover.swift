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
        // The messages so far went to the bot (or an earlier handover): only later ones are for this one.
        sessions[sid]!.outbox.settleMessages(through: session.log.lastSeq)
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
