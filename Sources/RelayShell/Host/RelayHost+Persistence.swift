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
        uncommitted.merge(engine.takeChanges())
        let changes = uncommitted
        let offsets: [Int64]
        let started = MonotonicClock.nanoseconds()
        do {
            offsets = try store.transaction { () throws(StoreError) -> [Int64] in
                let offsets = try store.append(changes.events)
                for snapshot in changes.snapshots { try store.putSession(id: snapshot.id, state: snapshot.state) }
                for sid in changes.finished { try store.removeSession(id: sid.rawValue) }
                let now = LoopClock.wallMs()
                for id in changes.webhookIDs {
                    _ = try store.rememberKey(Self.webhookKeyPrefix + id, now: now, expiresAt: now + Self.webhookIDLifetimeMs)
                }
                return offsets
            }
        } catch {
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
        answerWebhooks(nil)
        let effects = held
        held = []
        perform(effects)
        guard !offsets.isEmpty else { return true }
        let stored = zip(offsets, changes.events).map { StoredEvent(offset: $0, $1) }
        perform(hub.committed(stored, now: LoopClock.wallMs()))
        for feed in webhookFeeds { feed.eventsCommitted() }
        return true
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
            let stored = try store.events(session: saved.id, afterSeq: 0, limit: .max)
            do throws(SessionSnapshot.DecodeError) {
                let snapshot = try SessionSnapshot(json: saved.state)
                let events = stored.compactMap { LogPayload.event($0.payload).flatMap(SessionEvent.init(wire:)) }
                guard events.count == stored.count, events.enumerated().allSatisfy({ $0.element.seq == $0.offset + 1 }) else {
                    logger.error("skipping a saved session: its log is incomplete or unreadable", metadata: ["session": "\(saved.id)"])
                    continue
                }
                restored.append((snapshot, events))
            } catch {
                logger.error("skipping a saved session: \(error)", metadata: ["session": "\(saved.id)"])
            }
        }
        let webhookIDs = try store.liveKeys(now: LoopClock.wallMs()).compactMap { key in
            key.hasPrefix(Self.webhookKeyPrefix) ? String(key.dropFirst(Self.webhookKeyPrefix.count)) : nil
        }
        execute(engine.restore(restored, webhookIDs: webhookIDs, now: LoopClock.wallMs()))
        flush()
        self.restored = true
    }
}

extension RelayHost {
    /// Starts delivering the log to integrators' webhook subscriptions.
    public func startWebhookFeeds(_ subscriptions: [WebhookSubscriptionSettings]) throws(StoreError) {
        for settings in subscriptions {
            let feed = try WebhookFeed(settings: settings, host: self)
            webhookFeeds.append(feed)
            feed.eventsCommitted()  // catch up on what was logged while the relay was down
        }
    }
}

extension StoreChanges {
    /// Appends `later` (changes taken after these), for one commit of both.
    mutating func merge(_ later: StoreChanges) {
        events += later.events
        snapshots += later.snapshots
        finished += later.finished
        webhookIDs += later.webhookIDs
    }
}
