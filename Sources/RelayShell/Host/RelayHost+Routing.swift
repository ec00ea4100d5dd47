import HTTPModel
import RelayCore
import RelayJSON
import RelayStore

/// Several nodes (RelayHost+Cluster.swift): what arrives here for a session another node
/// owns is routed to it — WebSockets proxied, HTTP requests forwarded — and what another
/// node routes here is served as if it had arrived here.
extension RelayHost {
    // MARK: routing at the edge

    /// Where a frame naming a session must go when this node does not hold it.
    enum Route {
        case here
        case node(String)
        /// The store cannot be asked: the client must retry later.
        case unavailable
    }

    /// Finds (or takes over) the owner of a session this engine does not hold.
    /// - Parameter cached: whether a remembered owner will do (requests: a stale one costs a
    ///   hop); connections ask the store, since a proxied connection is not re-routed.
    func route(_ sid: SessionID, cached: Bool = true) -> Route {
        guard let cluster, !engine.holds(sid) else { return .here }
        if cached, let owner = cluster.ownerCache[sid], owner != cluster.nodeID, cluster.liveNodes.contains(owner) { return .node(owner) }
        do {
            switch try cluster.store.claim(session: sid.rawValue) {
            case .owned, .takenOver:
                cluster.ownerCache[sid] = nil
                try adopt([sid.rawValue])
                return .here
            case .ownedBy(let node):
                cluster.ownerCache[sid] = node
                return node == cluster.nodeID ? .here : .node(node)
            case .unknown:
                return .here  // the engine answers unknown_session
            }
        } catch {
            logger.error("cannot find the node of a session", metadata: ["session": "\(sid.rawValue)", "error": "\(error)"])
            return .unavailable
        }
    }

    /// A frame on a local WebSocket: true when the cluster took it (proxied, or refused).
    func routeFrame(_ connection: ConnectionID, text: String, channel: ClusterMessage.Channel) -> Bool {
        guard let cluster else { return false }
        if let owner = cluster.proxied[connection] {
            cluster.send(.frame(from: cluster.nodeID, connection: connection.rawValue, text: text), to: owner)
            return true
        }
        // An attached connection's frames are the engine's: only a first frame is parsed here.
        guard !engine.isAttached(connection, channel: channel), let sid = RelayEngine.sessionNamed(in: text, on: channel) else { return false }
        switch route(sid, cached: false) {
        case .here:
            return false
        case .node(let owner):
            cluster.proxied[connection] = owner
            cluster.count(.connectionProxied)
            cluster.send(.opened(from: cluster.nodeID, connection: connection.rawValue, channel: channel), to: owner)
            cluster.send(.frame(from: cluster.nodeID, connection: connection.rawValue, text: text), to: owner)
            return true
        case .unavailable:
            loop.close(connection, code: CloseCode.tryAgainLater, reason: "session store unavailable")
            return true
        }
    }

    /// A local WebSocket closed or drained: true when it was proxied (the owner is told).
    func routeClosed(_ connection: ConnectionID) -> Bool {
        guard let cluster, let owner = cluster.proxied.removeValue(forKey: connection) else { return false }
        cluster.send(.closed(from: cluster.nodeID, connection: connection.rawValue), to: owner)
        return true
    }

    func routeDrained(_ connection: ConnectionID) -> Bool {
        guard let cluster, let owner = cluster.proxied[connection] else { return false }
        cluster.send(.drained(from: cluster.nodeID, connection: connection.rawValue), to: owner)
        return true
    }

    /// An HTTP request about one session (webhook, API): forwarded when another node
    /// owns it. True when taken (answered or forwarded).
    func routeRequest(_ request: HTTPRequest, session sid: SessionID, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        switch route(sid) {
        case .here:
            return false
        case .node(let owner):
            cluster!.forward(request, to: owner, respond: respond)
            return true
        case .unavailable:
            respond(.problem(503, code: "store_unavailable", message: "the relay cannot reach its session store now; retry"))
            return true
        }
    }

    /// A webhook another node processed already: the engine's own memory covers only what
    /// this node saw since it took the session, so sessions taken over are also checked
    /// against the store's dedupe keys (a round trip only for those).
    func isDuplicateInCluster(_ request: HTTPRequest, session sid: SessionID) -> Bool {
        guard let cluster, cluster.adopted.contains(sid), let id = request.headers["x-8x8-event-id"] else { return false }
        return (try? cluster.store.hasKey(Self.webhookKeyPrefix + id, now: LoopClock.wallMs())) ?? false
    }

    /// The session an HTTP request is about, when it names one (webhooks by conversation).
    func sessionOf(_ request: HTTPRequest) -> SessionID? {
        if request.path == "/webhooks/8x8" {
            guard let conversation = WebhookAuthenticator.conversationID(of: request) else { return nil }
            if let sid = engine.session(forConversation: conversation) ?? cluster?.conversationCache[conversation] { return sid }
            guard let found = (try? cluster?.store.session(forConversation: conversation)).flatMap({ $0 }) else { return nil }
            cluster?.conversationCache[conversation] = SessionID(found)
            return SessionID(found)
        }
        let parts = request.pathSegments
        guard parts.count >= 3, parts[0] == "api", parts[1] == "sessions", !(parts.count == 4 && parts[3] == "events") else { return nil }
        return SessionID(String(parts[2]))
    }

    // MARK: the owner's side

    /// A message from another node.
    func clusterMessage(_ message: ClusterMessage) {
        guard let cluster else { return }
        let now = LoopClock.wallMs()
        switch message {
        case .opened(let from, let connection, let channel):
            let local = cluster.remote.open(.init(node: from, connection: connection), channel: channel)
            channel == .chat ? engine.chatConnected(local) : engine.copilotConnected(local)
        case .frame(let from, let connection, let text):
            guard let local = cluster.remote.local(.init(node: from, connection: connection)) else { return }
            if let moved = movedAway(local, text: text) {
                // The session left this node after the edge looked it up: the client reconnects and is routed afresh.
                performRemote(.close(local, code: CloseCode.serviceRestart, reason: moved))
                return
            }
            switch cluster.remote.channel(local) {
            case .chat: execute(engine.chatFrame(local, text: text, now: now))
            case .copilot: execute(engine.copilotFrame(local, text: text, now: now))
            case nil: break
            }
        case .drained(let from, let connection):
            guard let local = cluster.remote.local(.init(node: from, connection: connection)),
                  cluster.remote.channel(local) == .chat else { return }
            execute(engine.chatDrained(local))
        case .closed(let from, let connection):
            guard let local = cluster.remote.local(.init(node: from, connection: connection)) else { return }
            disconnectRemote(local)
        case .send(let connection, let text):
            loop.send(ConnectionID(connection), text)
        case .close(let connection, let code, let reason):
            loop.close(ConnectionID(connection), code: code, reason: reason)
        case .request(let from, let id, let request):
            answerForwarded(request) { [unowned cluster] response in cluster.send(.response(id: id, response), to: from) }
        case .response:
            break  // taken by ClusterNode
        }
    }

    /// Why a proxied connection's first frame cannot be served here: it names a session that
    /// another node owns now. Nil when it can (held, adopted now, or unknown to everyone).
    private func movedAway(_ local: ConnectionID, text: String) -> String? {
        guard let channel = cluster?.remote.channel(local), !engine.isAttached(local, channel: channel) else { return nil }
        guard let sid = RelayEngine.sessionNamed(in: text, on: channel) else { return nil }
        switch route(sid, cached: false) {
        case .here: return nil
        case .node: return "session moved"
        case .unavailable: return "session store unavailable"
        }
    }

    func disconnectRemote(_ local: ConnectionID) {
        guard let cluster else { return }
        let channel = cluster.remote.channel(local)
        cluster.remote.close(local)
        channel == .chat ? engine.chatDisconnected(local) : engine.copilotDisconnected(local)
    }

    /// A request another node forwarded: handled as if it had arrived here. The
    /// forwarding node checked the webhook signature already.
    private func answerForwarded(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        if request.path == "/webhooks/8x8" {
            acceptWebhook(request, respond: respond)
        } else {
            respond(handle(request) ?? .problem(404, code: "not_found", message: "no such route"))
        }
    }

    /// An effect addressed to a connection another node holds: sent through its inbox.
    func performRemote(_ effect: RelayEffect) {
        guard let cluster else { return }
        switch effect {
        case .send(let local, let text):
            guard let remote = cluster.remote.remote(local) else { return }
            cluster.send(.send(connection: remote.connection, text: text), to: remote.node)
        case .close(let local, let code, let reason):
            guard let remote = cluster.remote.remote(local) else { return }
            // The mapping stays until the edge reports the socket closed (`.closed`).
            cluster.send(.close(connection: remote.connection, code: code, reason: reason), to: remote.node)
        default:
            break
        }
    }
}
