import HTTPModel
import Logging
import RelayCore
import RelayStore

extension RelayHost {
    /// Commits the engine's changes in one transaction, then carries out the
    /// effects that waited for them and delivers the new events to live
    /// stream subscribers and webhook feeds. Runs at the end of every service
    /// turn, so a busy turn's many inputs share one commit.
    ///
    /// Returns false when the store refused the commit: the changes are kept
    /// and retried, and the held effects (acks, relays, replies) stay held —
    /// nothing is acknowledged that is not durable.
    @discardableResult
    func flush() -> Bool {
        guard hasUncommittedWork || !answersAwaitingCommit.isEmpty else { return true }
        if uncommitted.isEmpty {
            uncommitted = engine.takeChanges()
            uncommittedID = StoreEpoch.random()
        }
        // Otherwise the last commit failed: send exactly that batch again, under its id.
        // Its outcome may be unknown (a timeout after the store applied it), and the id lets
        // the store answer a repeat instead of applying it twice. Newer changes wait for it.
        let changes = uncommitted
        let offsets: [Int64]
        let started = MonotonicClock.nanoseconds()
        do {
            var batch = Self.commit(of: changes, now: LoopClock.wallMs())
            batch.id = uncommittedID
            offsets = try store.commit(batch)
        } catch {
            if error.code == .fenced {
                // Another node owns that session now (nothing was written): give it up, commit the rest at once.
                releaseFenced(SessionID(error.message))
                uncommittedID = StoreEpoch.random()
                return flush()
            }
            if error.code == .lost, recoverLostStore() { return flush() }
            metrics.commitFailed()
            lastCommitFailure = "\(error)"
            scheduleCommitRetry(error)
            // Not stored yet: 8x8 must retry (the retry is a duplicate once the changes are committed).
            answerWebhooks(.problem(503, code: "store_unavailable", message: "the relay cannot store the event now; retry"))
            return false
        }
        metrics.committed(events: offsets.count, nanoseconds: MonotonicClock.nanoseconds() - started)
        lastCommitFailure = nil
        uncommitted = StoreChanges()
        uncommittedID = nil
        // On a shared store every node learns of new events from the log itself, in
        // offset order (ClusterNode's listener), this node's own included.
        if cluster == nil { undelivered += zip(offsets, changes.events).map { StoredEvent(offset: $0, $1) } }
        // Changes made while a failed batch was retried: commit them before anything held is released.
        if engine.hasChanges { return flush() }
        answerWebhooks(nil)
        let effects = held
        held = []
        perform(effects)
        deliverCommitted()
        return true
    }

    /// Gives committed events to the live stream subscribers and the webhook feeds — after
    /// the held effects: those may hold a subscriber's replay page, whose events come
    /// before these (a live event sent first would overtake its own replay).
    func deliverCommitted() {
        guard !undelivered.isEmpty, !hasUncommittedWork else { return }
        let events = undelivered
        undelivered = []
        perform(hub.committed(events, now: LoopClock.wallMs()))
        for feed in webhookFeeds { feed.eventsCommitted() }
    }

    /// The store's view of the engine's changes.
    static func commit(of changes: StoreChanges, now: Int64) -> StoreCommit {
        var batch = StoreCommit()
        batch.events = changes.events
        batch.snapshots = changes.snapshots
        batch.removed = changes.finished.map(\.rawValue)
        batch.keys = changes.webhookIDs.map { DedupeKey(webhookKeyPrefix + $0, expiresAt: now + webhookIDLifetimeMs) }
        batch.now = now
        batch.conversations = changes.conversations
        return batch
    }

    /// Sends the webhook answers that waited for this commit (or `override` when it failed).
    private func answerWebhooks(_ override: HTTPResponse?) {
        guard !answersAwaitingCommit.isEmpty else { return }
        let waiting = answersAwaitingCommit
        answersAwaitingCommit = []
        for answer in waiting { answer.respond(override ?? answer.response) }
    }

    /// Processed 8x8 webhook ids share the store's dedupe keys under this prefix.
    static let webhookKeyPrefix = "8x8:"

    /// How long a processed 8x8 webhook id is remembered (8x8 retries for far less).
    static let webhookIDLifetimeMs: Int64 = 24 * 3600 * 1000

    private func scheduleCommitRetry(_ error: StoreError) {
        guard !commitRetryScheduled else { return }
        commitRetryScheduled = true
        logger.error("cannot commit to the event store; holding replies and retrying",
                     metadata: ["error": "\(error)", "pendingEvents": "\(uncommitted.events.count)"])
        loop.schedule(afterMs: 500) { [unowned self] in
            self.commitRetryScheduled = false
            if self.flush() { self.logger.notice("event store commits resumed") }
        }
    }

    /// Drops old events of finished sessions and expired webhook ids.
    func applyRetention(now: Int64) {
        do {
            let maxAge = retention.maxAgeHours.map { now - Int64($0) * 3_600_000 }
            let removed = try store.prune(olderThan: maxAge, maxEvents: retention.maxEvents)
            try store.forgetExpiredKeys(now: now)
            if removed > 0 { logger.info("pruned the event log", metadata: ["events": "\(removed)"]) }
        } catch {
            logger.warning("event log retention failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    /// Puts back the sessions saved in the store (after a restart or crash)
    /// and resends their pending 8x8 calls. Sessions whose saved state cannot
    /// be read are skipped and logged, never fatal.
    public func restoreFromStore() throws(StoreError) {
        var restored: [(SessionSnapshot, [SessionEvent])] = []
        for saved in try store.allSessions() {
            if let loaded = try loadSaved(saved) { restored.append(loaded) }
        }
        let webhookIDs = try store.liveKeys(now: LoopClock.wallMs()).compactMap { key in
            key.hasPrefix(Self.webhookKeyPrefix) ? String(key.dropFirst(Self.webhookKeyPrefix.count)) : nil
        }
        execute(engine.restore(restored, webhookIDs: webhookIDs, now: LoopClock.wallMs()))
        flush()
        self.restored = true
    }

    /// A saved session with its log, decoded; nil (logged) when it cannot be read.
    func loadSaved(_ saved: StoredSession) throws(StoreError) -> (SessionSnapshot, [SessionEvent])? {
        let stored = try store.events(session: saved.id, afterSeq: 0, limit: .max)
        do throws(SessionSnapshot.DecodeError) {
            let snapshot = try SessionSnapshot(json: saved.state)
            let events = stored.compactMap { LogPayload.event($0.payload).flatMap(SessionEvent.init(wire:)) }
            guard events.count == stored.count, events.enumerated().allSatisfy({ $0.element.seq == $0.offset + 1 }) else {
                logger.error("skipping a saved session: its log is incomplete or unreadable", metadata: ["session": "\(saved.id)"])
                return nil
            }
            return (snapshot, events)
        } catch {
            logger.error("skipping a saved session: \(error)", metadata: ["session": "\(saved.id)"])
            return nil
        }
    }
}

extension RelayHost {
    /// Starts delivering the log to integrators' webhook subscriptions.
    /// On a shared store only the node holding the feeds' lease runs them (see RelayHost+Cluster.swift).
    public func startWebhookFeeds(_ subscriptions: [WebhookSubscriptionSettings]) throws(StoreError) {
        webhookFeedSettings = subscriptions
        // With several nodes, the first to start takes the lease now, so a new subscription
        // starts where the log stands at start-up, as with one node.
        if cluster == nil { try runWebhookFeeds() } else { updateWebhookFeedLease() }
    }

    func runWebhookFeeds() throws(StoreError) {
        webhookFeeds = []
        for settings in webhookFeedSettings {
            let feed = try WebhookFeed(settings: settings, host: self)
            webhookFeeds.append(feed)
            feed.eventsCommitted()  // catch up on what was logged while no feed ran
        }
    }
}
