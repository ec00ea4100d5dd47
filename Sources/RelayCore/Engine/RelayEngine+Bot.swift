import HTTPModel

extension RelayEngine {
    /// Gives the bot a turn, unless a human owns the conversation.
    mutating func askBot(_ sid: SessionID, _ event: BotEvent, now: Int64) -> [RelayEffect] {
        guard let session = sessions[sid], !session.isWithHuman else { return [] }
        switch config.bot {
        case .rules:
            return deliver(ruleBot.respond(to: event), to: sid, now: now)
        case .external(let settings):
            let call = newCall(.bot(sid))
            return [.call(call, ExternalBot.request(settings, sessionID: sid, user: session.user, event: event))]
        }
    }

    mutating func botCallCompleted(_ sid: SessionID, result: OutboundResult, now: Int64) -> [RelayEffect] {
        guard sessions[sid] != nil else { return [] }
        guard let turn = ExternalBot.parseReply(result) else {
            let event = append(sid, .message(.init(from: .system, text: "The assistant is unavailable right now. You can ask for a person at any time.")), now: now)
            return [.log(LogRecord(.error, "external bot failed: \(Self.describeBot(result))", logContext(sid)))]
                + broadcast(sid, event)
        }
        return deliver(turn, to: sid, now: now)
    }

    /// Records the bot's replies and starts its handover, if it asked for one.
    /// A reply that arrives after a human took over is dropped: the bot says nothing then.
    private mutating func deliver(_ turn: BotTurn, to sid: SessionID, now: Int64) -> [RelayEffect] {
        guard !sessions[sid]!.isWithHuman, !sessions[sid]!.ended else { return [] }
        var effects: [RelayEffect] = []
        for reply in turn.replies where !reply.isEmpty {
            effects += broadcast(sid, append(sid, .message(.init(from: .bot, text: reply)), now: now))
        }
        if let request = turn.handover { effects += startHandover(sid, request, now: now) }
        return effects
    }

    static func describeBot(_ result: OutboundResult) -> String {
        switch result {
        case .transportError(let why): "unreachable: \(why)"
        case .response(let status, _): "answered \(status) without a usable reply"
        }
    }
}
