import HTTPModel
import Logging
import RelayCore
import RelayJSON
import RelayStore

/// Several relay nodes on one shared store (docs/ARCHITECTURE.md "Several nodes").
///
/// Every live session has one owner node, whose engine runs it. Whatever arrives
/// for a session at another node is routed to the owner:
/// - a WebSocket (chat `hello` with a `sessionId`, copilot `subscribe`) is
///   *proxied*: this node keeps the socket and relays frames both ways through
///   the owner's and its own inbox;
/// - a webhook or API request is *forwarded* and its answer relayed back.
/// A session whose owner is dead is claimed and restored from the store by the
/// node that needs it first, or by a node's periodic takeover.
extension RelayHost {
    /// Joins the cluster: restores nothing up front (the sessions in the store belong
    /// to other nodes or to dead ones, taken over below), delivers the shared log to
    /// this node's stream subscribers, and answers the other nodes.
    /// Runs this relay as one node of several on `store` (instead of ``restoreFromStore()``).
    /// Call after the loop started.
    public func joinCluster(_ store: any ClusterStore, nodeTimeoutMs: Int) throws(StoreError) {
        var settings = ClusterNode.Settings()
        settings.nodeTimeoutMs = nodeTimeoutMs
        settings.heartbeatMs = max(200, nodeTimeoutMs / 5)
        let node = ClusterNode(store: store, settings: settings, loop: loop, logger: logger)
        try startCluster(node)
        exportCounts("relay_cluster_events_total", label: "event") { [unowned node] in node.counts }
    }

    /// At a clean shutdown: the other nodes take this node's sessions over at once.
    public func leaveCluster() {
        cluster?.leave()
    }

    func startCluster(_ node: ClusterNode) throws(StoreError) {
        cluster = node
        node.onMessage = { [unowned self] in self.clusterMessage($0) }
        node.onEvents = { [unowned self] events in self.sharedLogAppended(events) }
        node.onNodesDied = { [unowned self] in self.nodesDied($0) }
        node.onHeartbeat = { [unowned self] in self.clusterHeartbeat() }
        try node.start(afterOffset: try store.lastOffset())
        loop.onTurnEnd { [unowned node] in node.flushOutgoing() }
        restored = true
        logger.notice("joined the relay cluster", metadata: ["node": "\(node.nodeID)", "liveNodes": "\(node.liveNodes.count)"])
    }

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
        let named = channel == .chat ? RelayEngine.sessionNamed(inChatFrame: text) : RelayEngine.sessionNamed(inCopilotFrame: text)
        guard let sid = named, !engine.isAttached(connection, channel: channel) else { return false }
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
        let named = channel == .chat ? RelayEngine.sessionNamed(inChatFrame: text) : RelayEngine.sessionNamed(inCopilotFrame: text)
        guard let sid = named else { return nil }
        switch route(sid, cached: false) {
        case .here: return nil
        case .node: return "session moved"
        case .unavailable: return "session store unavailable"
        }
    }

    private func disconnectRemote(_ local: ConnectionID) {
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

    // MARK: sessions moving between nodes

    /// Restores sessions this node now owns from the store (and resends their pending calls).
    func adopt(_ ids: [String]) throws(StoreError) {
        var saved: [(SessionSnapshot, [SessionEvent])] = []
        for id in ids where !engine.holds(SessionID(id)) {
            guard let stored = try store.session(id: id), let loaded = try loadSaved(stored) else { continue }
            saved.append(loaded)
        }
        guard !saved.isEmpty else { return }
        for (snapshot, _) in saved { cluster?.adopted.insert(snapshot.id) }
        execute(engine.adopt(saved, now: LoopClock.wallMs()))
        cluster?.count(.sessionTakenOver, saved.count)
        logger.notice("took over sessions", metadata: ["sessions": "\(saved.count)"])
    }

    /// Another node owns a session now (our commit was fenced): let it go.
    func releaseFenced(_ sid: SessionID) {
        uncommitted.drop(sessions: [sid.rawValue])
        let effects = engine.release(sid)
        cluster?.adopted.remove(sid)
        cluster?.count(.sessionReleased)
        held.removeAll { effect in
            if case .call(let id, _) = effect { return !engine.knowsCall(id) }
            return false
        }
        perform(effects)
    }

    private func nodesDied(_ nodes: Set<String>) {
        guard let cluster else { return }
        // Clients proxied to a dead owner reconnect and resume wherever they land.
        for (connection, owner) in cluster.proxied where nodes.contains(owner) {
            cluster.proxied.removeValue(forKey: connection)
            loop.close(connection, code: CloseCode.serviceRestart, reason: "relay node left")
        }
        for node in nodes {
            for (local, _) in cluster.remote.connections(of: node) { disconnectRemote(local) }
        }
        cluster.ownerCache.removeAll { nodes.contains($0) }
    }

    /// The shared store lost its data (Redis restarted without persistence): start the new
    /// history with everything this node holds, so its users resume as before; stream
    /// subscribers are told their positions are gone (`recovered:false` on resubscribe).
    /// False when the store cannot be reopened yet (the commit is retried later).
    func recoverLostStore() -> Bool {
        guard let cluster else { return false }
        let before = store.epoch
        do {
            try cluster.store.reopen()
            try cluster.store.heartbeat(ttlMs: cluster.settings.nodeTimeoutMs)
            try cluster.listen(afterOffset: 0)
        } catch {
            logger.error("the shared store lost its data and cannot be reopened yet", metadata: ["error": "\(error)"])
            return false
        }
        engine.reseed()
        cluster.count(.historyReset)
        uncommitted = StoreChanges()
        uncommittedID = nil
        perform(hub.historyReset())
        logger.critical("the shared store lost its data (epoch changed): wrote this node's live sessions to the new history",
                        metadata: ["oldEpoch": "\(before)", "epoch": "\(store.epoch)", "sessions": "\(engine.sessions.count)"])
        return true
    }

    private func clusterHeartbeat() {
        guard let cluster else { return }
        do {
            // Noticed here too, not only by a failing commit: a node with nothing to write
            // must still restart its listener on the new log and tell its stream subscribers.
            if try cluster.store.storedEpoch() != store.epoch, recoverLostStore() { flush() }
            let orphans = try cluster.store.takeOverOrphans(limit: cluster.settings.takeoverBatch)
            if !orphans.isEmpty { try adopt(orphans) }
        } catch {
            logger.error("cannot take over the sessions of dead nodes", metadata: ["error": "\(error)"])
        }
        updateWebhookFeedLease()
        releaseSharedLogIfUnused()
    }

    /// Integrators' webhook feeds run on one node: whichever holds the lease.
    func updateWebhookFeedLease() {
        guard let cluster, !webhookFeedSettings.isEmpty else { return }
        let holds = (try? cluster.store.lease("webhook-feeds", ttlMs: cluster.settings.nodeTimeoutMs)) ?? false
        if holds, webhookFeeds.isEmpty {
            wantSharedLog()
            do {
                // Fresh feeds read their cursors again: the previous holder advanced them.
                try runWebhookFeeds()
                logger.notice("this node delivers the integrators' webhook feeds")
            } catch {
                logger.error("cannot start the webhook feeds", metadata: ["error": "\(error)"])
            }
        } else if !holds, !webhookFeeds.isEmpty {
            webhookFeeds = []
            logger.notice("another node delivers the integrators' webhook feeds now")
        }
    }

    /// Something on this node needs the shared log (a stream subscriber connected, the webhook
    /// feeds started): the listener reads it from the log's end as of now — before that
    /// subscriber's replay reads the store, so replay and live delivery meet without a gap.
    func wantSharedLog() {
        guard let cluster, cluster.logInterest.offset == nil else { return }
        do {
            cluster.logInterest.set(try store.lastOffset())
        } catch {
            cluster.logInterest.set(0)  // the whole log then; the hub skips what a subscriber has
        }
    }

    /// Nobody needs the log any more: the listener stops reading it (checked every heartbeat).
    private func releaseSharedLogIfUnused() {
        guard let cluster, cluster.logInterest.offset != nil, hub.subscriberCount == 0, webhookFeeds.isEmpty else { return }
        cluster.logInterest.set(nil)
    }

    /// Events appended to the shared log by any node (this one included), in offset order.
    private func sharedLogAppended(_ events: [StoredEvent]) {
        perform(hub.committed(events, now: LoopClock.wallMs()))
        for feed in webhookFeeds { feed.eventsCommitted() }
    }
}
