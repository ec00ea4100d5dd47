import RelayJSON
import RelayStore

/// What the engine needs to run as one node among several sharing a store:
/// every session lives on exactly one node (its owner); these let the shell
/// find out where a session lives, adopt one from a dead node, and give one up.
extension RelayEngine {
    /// Whether this engine holds the session (i.e. this node owns it).
    public func holds(_ sid: SessionID) -> Bool { sessions[sid] != nil }

    /// Whether a connection is attached to a session already (then its frames stay here).
    public func isAttached(_ connection: ConnectionID, channel: ClusterMessage.Channel) -> Bool {
        switch channel {
        case .chat: if case .some(.some) = connections[connection] { return true }
        case .copilot: if case .some(.some) = copilotConnections[connection] { return true }
        }
        return false
    }

    /// Whether a call is still expected (a released session's calls are not).
    public func knowsCall(_ id: CallID) -> Bool { pendingCalls[id] != nil }

    /// The session of a live 8x8 conversation held here, if any.
    public func session(forConversation conversation: String) -> SessionID? { sessionFor(conversation: conversation) }

    /// A conversation 8x8 just created: routed here from now on, and recorded in the
    /// store so that another node receiving its webhooks can find the session.
    mutating func registerCreated(conversation: String, for sid: SessionID) {
        register(conversation: conversation, for: sid)
        journal.conversations.append(ConversationLink(conversationID: conversation, sessionID: sid.rawValue))
    }

    /// The session a chat `hello` resumes, or a copilot `subscribe` watches — without
    /// acting on the frame (the shell routes it first). Nil for any other frame.
    public static func sessionNamed(inChatFrame text: String) -> SessionID? {
        guard let json = try? JSONValue.parse(text), json["type"]?.stringValue == "hello",
              let id = json["sessionId"]?.stringValue, !id.isEmpty else { return nil }
        return SessionID(id)
    }

    public static func sessionNamed(inCopilotFrame text: String) -> SessionID? {
        CopilotSubscribe.decode(text)?.sessionID
    }

    /// The session a first frame on `channel` names (see the two above).
    public static func sessionNamed(in text: String, on channel: ClusterMessage.Channel) -> SessionID? {
        channel == .chat ? sessionNamed(inChatFrame: text) : sessionNamed(inCopilotFrame: text)
    }

    /// Everything this engine holds, journaled again for a store that lost its data (a new
    /// epoch): every live session's events (with their seqs, so clients resume as before),
    /// its snapshot and its conversation. Changes not yet taken are superseded.
    public mutating func reseed() {
        journal = Journal()
        for sid in sessions.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let session = sessions[sid]!
            // As first journaled: the handover's provider and queue from the handover on,
            // none on the bot-only part before it (stream filters select by them).
            var handover: HandoverSettings?
            for event in session.log.events {
                if handover == nil, case .handover = event.kind { handover = session.handover?.settings }
                journal.events.append(NewEvent(sessionID: sid.rawValue, seq: event.seq, ts: event.ts, kind: event.typeName,
                                               payload: LogPayload.make(wire: event.wire, handover: handover)))
            }
            journal.touch(sid)
            if let conversation = session.handover?.conversationID {
                journal.conversations.append(ConversationLink(conversationID: conversation, sessionID: sid.rawValue))
            }
        }
    }

    /// Gives a session up: another node owns it now (this node was presumed dead
    /// and the store refused its writes). Its clients are closed with 1012 so they
    /// reconnect and resume on the owner; its calls in flight are forgotten (their
    /// results are dropped), and its journal entries discarded — they were never
    /// durable, so nothing was acknowledged for them.
    public mutating func release(_ sid: SessionID) -> [RelayEffect] {
        guard let session = sessions.removeValue(forKey: sid) else { return [] }
        workspaces.removeValue(forKey: sid)
        if let conversation = session.handover?.conversationID { forget(conversation: conversation) }
        pendingCalls = pendingCalls.filter { _, call in
            switch call {
            case .gateway(let owner, _), .bot(let owner): owner != sid
            }
        }
        journal.events.removeAll { $0.sessionID == sid.rawValue }
        journal.conversations.removeAll { $0.sessionID == sid.rawValue }
        journal.persisted.removeValue(forKey: sid)
        var effects: [RelayEffect] = []
        for connection in session.connections.sorted() {
            connections[connection] = .some(nil)
            chatReplays.removeValue(forKey: connection)
            effects.append(.close(connection, code: CloseCode.serviceRestart, reason: "session moved"))
        }
        for watcher in session.copilot.watchers.sorted() {
            copilotConnections[watcher] = .some(nil)
            effects.append(.close(watcher, code: CloseCode.serviceRestart, reason: "session moved"))
        }
        return effects + [.log(LogRecord(.warning, "gave up a session another node owns now", ["session": sid.rawValue]))]
    }
}
