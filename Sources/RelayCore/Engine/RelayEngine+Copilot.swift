import CopilotAnalyzers
import HTTPModel
import RelayJSON

extension RelayEngine {
    // MARK: Copilot connections (`handover.copilot.v1`)

    public mutating func copilotConnected(_ connection: ConnectionID) {
        copilotConnections[connection] = .some(nil)
    }

    public mutating func copilotDisconnected(_ connection: ConnectionID) {
        if case .some(.some(let sid)) = copilotConnections.removeValue(forKey: connection) {
            sessions[sid]?.copilot.unwatch(connection)
        }
    }

    /// The subscribe frame: checks the token, then sends a snapshot, or the
    /// missed frames when `lastPos` can still be resumed.
    public mutating func copilotFrame(_ connection: ConnectionID, text: String, now: Int64) -> [RelayEffect] {
        guard let attached = copilotConnections[connection] else { return [] }
        guard attached == nil else {
            return [.send(connection, CopilotFrame.error(code: "bad_frame", message: "already subscribed; this connection takes no further frames"))]
        }
        guard let subscribe = CopilotSubscribe.decode(text) else {
            return refuse(connection, code: "bad_frame", CopilotCloseCode.badFrame,
                          "expected {\"type\":\"subscribe\",\"sessionId\":…,\"token\":…,\"lastPos\"?:n}")
        }
        let sid = subscribe.sessionID
        // The token first: without a valid one, nobody learns whether a session id exists.
        do {
            try CopilotToken.verify(subscribe.token, sessionID: sid, role: "agent", nowSeconds: now / 1000, secret: config.copilotSecret)
        } catch {
            return refuse(connection, code: "bad_token", CopilotCloseCode.badToken, error.message)
        }
        guard sessions[sid] != nil else {
            return refuse(connection, code: "unknown_session", CopilotCloseCode.unknownSession, "no such session (it may have expired)")
        }
        copilotConnections[connection] = .some(sid)
        ensureWorkspace(sid)
        // A page cannot have seen the frames made for its own subscribe: a `lastPos`
        // beyond this is from another run of the relay (or a feed that was not recording).
        let posBeforeSubscribe = sessions[sid]!.copilot.pos
        // Bring the tiles up to date first: those frames belong to the stream (and reach the other watchers too).
        let refreshed = refreshTiles(sid, now: now)
        var effects = sendToWatchers(sid, refreshed)
        sessions[sid]!.copilot.watch(connection)
        let feed = sessions[sid]!.copilot
        if let lastPos = subscribe.lastPos, lastPos <= posBeforeSubscribe, let missed = feed.frames(after: lastPos) {
            effects.append(.send(connection, CopilotFrame.resumed(pos: feed.pos)))
            effects += missed.map { .send(connection, $0) }
        } else {
            effects.append(.send(connection, copilotSnapshot(sid)))
        }
        return effects
    }

    private func refuse(_ connection: ConnectionID, code: String, _ close: UInt16, _ message: String) -> [RelayEffect] {
        [.send(connection, CopilotFrame.error(code: code, message: message)), .close(connection, code: close, reason: code)]
    }

    func copilotSnapshot(_ sid: SessionID) -> String {
        let session = sessions[sid]!
        let workspace = workspaces[sid]
        let transcript = session.log.events.compactMap { event -> JSONValue? in
            guard let message = event.message else { return nil }
            return copilotMessage(event, message, redact: workspace)
        }
        return CopilotFrame.snapshot(pos: session.copilot.pos, sessionID: sid, user: ExternalBot.userJSON(session.user),
                                     layout: config.copilot.layout, tiles: session.copilot.orderedTiles.map(placed),
                                     transcript: transcript,
                                     handover: session.log.events.last(where: { if case .handover = $0.kind { true } else { false } }))
    }

    /// A tile with its layout position when it has none of its own.
    private func placed(_ tile: CopilotTile) -> CopilotTile {
        var tile = tile
        if tile.position == nil { tile.position = config.copilot.layout.tiles[tile.id] }
        return tile
    }

    private func copilotMessage(_ event: SessionEvent, _ message: SessionEvent.Message, redact workspace: CopilotWorkspace?) -> JSONValue {
        var fields: [String: JSONValue] = [
            "seq": JSONValue(event.seq), "from": .string(message.from.rawValue), "ts": JSONValue(event.ts),
            "text": .string(workspace?.redact(message.text) ?? message.text),
        ]
        if let agent = message.agentID { fields["agentId"] = .string(agent) }
        return .object(fields)
    }

    func sendToWatchers(_ sid: SessionID, _ frames: [String]) -> [RelayEffect] {
        guard !frames.isEmpty, let watchers = sessions[sid]?.copilot.watchers, !watchers.isEmpty else { return [] }
        let ordered = watchers.sorted()
        return frames.flatMap { frame in ordered.map { RelayEffect.send($0, frame) } }
    }

    // MARK: Feeding the workspace

    /// Every stored session event of a recorded feed (see
    /// ``CopilotFeed/isRecording``) reaches the copilot: messages feed the
    /// analyzers and the transcript, handover changes the identity tile.
    /// Tiles are recomputed only while someone watches.
    ///
    /// An unrecorded session costs nothing here: bot-only sessions (nobody
    /// watches before a handover hands out a copilot link) and handovers no
    /// page has opened yet. Their analyzers catch up from the log when a
    /// page subscribes (``ensureWorkspace(_:)``).
    mutating func copilotObserve(_ sid: SessionID, _ event: SessionEvent, now: Int64) -> [RelayEffect] {
        guard sessions[sid]!.copilot.isRecording else {
            sessions[sid]!.copilot.skipUnrecorded()
            return []
        }
        ensureWorkspace(sid)  // takes in `event` too: it is in the log already
        var frames: [String] = []
        switch event.kind {
        case .message(let message):
            frames.append(sessions[sid]!.copilot.transcript(copilotMessage(event, message, redact: workspaces[sid])))
        case .handover:
            frames.append(sessions[sid]!.copilot.handover(event))
        }
        if !sessions[sid]!.copilot.watchers.isEmpty { frames += refreshTiles(sid, now: now) }
        return sendToWatchers(sid, frames)
    }

    /// Creates the session's analyzer workspace on first use and brings it up
    /// to date with the log: the messages it missed reach pages only through
    /// snapshots.
    mutating func ensureWorkspace(_ sid: SessionID) {
        let events = sessions[sid]!.log.events
        if workspaces[sid] == nil {
            workspaces[sid] = config.copilot.makeWorkspace()
            if !events.isEmpty { sessions[sid]!.copilot.startAfterExistingContent() }
        }
        // Seqs rise along the log, so the missed messages are a suffix; when the
        // workspace is current this looks at the last event or two.
        let analysed = workspaces[sid]!.lastSeq ?? 0
        var start = events.endIndex
        while start > events.startIndex, events[start - 1].seq > analysed { start -= 1 }
        for event in events[start...] {
            if let m = event.message { workspaces[sid]!.append(CopilotMessage(event, m)) }
        }
    }

    /// Recomputes the built-in tiles; returns the frames of those that changed.
    mutating func refreshTiles(_ sid: SessionID, now: Int64) -> [String] {
        ensureWorkspace(sid)
        var data = workspaces[sid]!.tileData()
        data["identity"] = identityTileData(sid)
        data["transcript"] = ["count": JSONValue(sessions[sid]!.log.messages.count)]
        var frames: [String] = []
        for (id, title) in CopilotTile.builtins {
            guard let tileData = data[id] else { continue }
            let tile = CopilotTile(id: id, kind: id, title: title, position: config.copilot.layout.tiles[id], data: tileData,
                                   updatedAt: now, source: .builtin)
            if let frame = sessions[sid]!.copilot.upsert(tile) { frames.append(frame) }
        }
        return frames
    }

    /// Who the customer is and where the handover stands. The copilot link
    /// itself (it holds the token) is never shown.
    private func identityTileData(_ sid: SessionID) -> JSONValue {
        let session = sessions[sid]!
        var handover: [String: JSONValue] = [:]
        if let h = session.handover {
            handover = h.state.wireFields
            handover["conversationId"] = JSONValue(h.conversationID)
            handover["channelId"] = .string(h.settings.channelID)
        }
        return [
            "user": ExternalBot.userJSON(session.user),
            "properties": session.handoverProperties,
            "handover": .object(handover),
        ]
    }
}

extension CopilotMessage {
    /// The analyzers' view of a stored chat message.
    init(_ event: SessionEvent, _ message: SessionEvent.Message) {
        self.init(seq: event.seq, from: message.from.rawValue, text: message.text, ts: event.ts)
    }
}
