import Logging
import RelayCore
import RelayStore

/// Delivers the log to one integrator webhook subscription: one POST at a
/// time, in offset order, retried with backoff until a 2xx, the position kept
/// in the store (so a restart neither skips nor restarts the feed).
final class WebhookFeed {
    let settings: WebhookSubscriptionSettings
    private unowned let host: RelayHost
    private var cursor: Int64
    private var busy = false
    private var failures = 0
    /// A batch that was refused, resent as it was (same events, same
    /// `x-relay-delivery`) until accepted: receivers dedupe on that header.
    private var refused: (batch: [StoredEvent], next: Int64)?

    init(settings: WebhookSubscriptionSettings, host: RelayHost) throws(StoreError) {
        self.settings = settings
        self.host = host
        // A new subscription starts at the end of the log: it receives what happens from now on.
        if let saved = try host.store.cursor(Self.cursorName(settings.name)) {
            cursor = saved
        } else {
            cursor = try host.store.lastOffset()
            try host.store.setCursor(Self.cursorName(settings.name), to: cursor)
        }
    }

    static func cursorName(_ name: String) -> String { "webhook:" + name }

    /// New events are durable: send them unless a POST or a retry wait is under way.
    func eventsCommitted() {
        guard !busy else { return }
        pump()
    }

    private func pump() {
        let store = host.store
        do {
            while true {
                let page = try store.events(after: cursor, limit: settings.batchSize * 4)
                guard !page.isEmpty else { return }
                let (batch, next) = WebhookDelivery.nextBatch(page, filter: settings.filter, batchSize: settings.batchSize)
                guard !batch.isEmpty else {
                    try advance(to: next ?? cursor)
                    continue
                }
                send(batch, then: next ?? cursor)
                return
            }
        } catch {
            host.logger.warning("webhook subscription cannot read the log; retrying", metadata: ["subscription": "\(settings.name)", "error": "\(error)"])
            retryLater()
        }
    }

    private func advance(to offset: Int64) throws(StoreError) {
        cursor = offset
        try host.store.setCursor(Self.cursorName(settings.name), to: offset)
    }

    private func send(_ batch: [StoredEvent], then next: Int64) {
        busy = true
        let request = WebhookDelivery.request(settings, events: batch, epoch: host.store.epoch, nowSeconds: LoopClock.wallMs() / 1000)
        host.loop.call(request) { [weak self] result in
            guard let self else { return }
            self.busy = false
            guard result.isSuccess else {
                self.failures += 1
                self.refused = (batch, next)
                self.host.logger.warning("webhook subscription delivery failed; retrying",
                                         metadata: ["subscription": "\(self.settings.name)", "status": "\(result.status.map(String.init) ?? "no response")",
                                                    "attempt": "\(self.failures)"])
                self.retryLater()
                return
            }
            self.failures = 0
            self.refused = nil
            do {
                try self.advance(to: next)
            } catch {
                self.host.logger.warning("webhook subscription cannot save its position", metadata: ["error": "\(error)"])
            }
            self.pump()
        }
    }

    /// Exponential backoff from 1 s to 60 s, then steady: the receiver may be down for a long time.
    private func retryLater() {
        busy = true
        let delay = RetryPolicy(maxAttempts: .max, baseDelayMs: 1_000, maxDelayMs: 60_000)
            .delayMs(afterAttempt: max(1, failures), salt: UInt64(truncatingIfNeeded: cursor &+ Int64(failures)))
        host.loop.schedule(afterMs: delay) { [weak self] in
            guard let self else { return }
            self.busy = false
            if let refused = self.refused {
                self.send(refused.batch, then: refused.next)
            } else {
                self.pump()
            }
        }
    }
}
