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
/// - a webhook or API request is *forwarded* and its answer relayed back
/// (RelayHost+Routing.swift). This file: joining, sessions moving between nodes,
/// dead nodes, a store that lost its data, and the shared log.
/// A session whose owner is dead is claimed and restored from the store by the
/// node that needs it first, or by a node's periodic takeover.
extension RelayHost {
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

    /// Joins the cluster: restores nothing up front (the sessions in the store belong
    /// to other nodes or to dead ones, taken over below), delivers the shared log to
    /// this node's stream subscribers, and answers the other nodes.
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
        undelivered = []  // the old history's: every subscriber is closed below
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
    /// Delivered at once, or after this node's held effects (a replay page may be among them).
    private func sharedLogAppended(_ events: [StoredEvent]) {
        undelivered += events
        deliverCommitted()
    }
}
