/// One webhook event waiting for (or in) delivery.
///
/// The body is built once when the event happens, so every retry carries the
/// byte-identical payload and the same event id, as 8x8's retries do.
struct WebhookEvent: Sendable, Equatable {
    var eventId: String
    var eventType: String
    var conversationId: String
    var body: [UInt8]
    /// Attempts made so far (0 before the first).
    var attempts = 0
}

/// One attempt to hand to the host: which event, and its delivery id.
struct WebhookAttempt: Sendable, Equatable {
    var deliveryId: Int
    var event: WebhookEvent
    /// Value of `x-8x8-retry`: 0 for the first attempt, then 1, 2, …
    var retry: Int { event.attempts - 1 }
}

/// What became of a completed attempt.
enum WebhookOutcome: Sendable, Equatable {
    /// Not the attempt in flight (stale or unknown id): nothing changes.
    case ignored
    /// Delivered; `next` is the following event's first attempt, if any is waiting.
    case delivered(next: WebhookAttempt?)
    /// Failed; retry the same event after `afterMs`.
    case retryLater(event: WebhookEvent, afterMs: Int)
    /// Failed for the last time; the event is dropped and `next` goes out.
    case gaveUp(event: WebhookEvent, next: WebhookAttempt?)
}

/// The webhook delivery queue: strictly one attempt in flight for the whole
/// simulator, in event order, with bounded retries.
///
/// Serial delivery gives the relay a total order of events, which is the
/// strongest guarantee it could hope for; retries exercise its idempotency.
struct WebhookOutbox: Sendable, Equatable {
    private var queue: [WebhookEvent] = []
    private var head = 0
    /// The delivery id of the attempt the host is running, if any.
    private(set) var inFlight: Int?
    /// True while the head event waits for its retry timer.
    private(set) var waitingForRetry = false
    private var nextDeliveryId = 1

    /// Events not yet delivered or dropped (the head included).
    var pendingCount: Int { queue.count - head }

    /// Adds an event; returns its first attempt when the outbox was idle.
    mutating func enqueue(_ event: WebhookEvent) -> WebhookAttempt? {
        queue.append(event)
        return startHeadIfIdle()
    }

    /// Records the outcome of an attempt.
    mutating func complete(deliveryId: Int, success: Bool, maxAttempts: Int, retryDelayMs: (Int) -> Int) -> WebhookOutcome {
        guard let current = inFlight, current == deliveryId, head < queue.count else { return .ignored }
        inFlight = nil
        if success {
            popHead()
            return .delivered(next: startHeadIfIdle())
        }
        let event = queue[head]
        if event.attempts >= max(maxAttempts, 1) {
            popHead()
            return .gaveUp(event: event, next: startHeadIfIdle())
        }
        waitingForRetry = true
        return .retryLater(event: event, afterMs: retryDelayMs(event.attempts))
    }

    /// The retry timer fired: the head event's next attempt.
    mutating func retryDue() -> WebhookAttempt? {
        guard waitingForRetry else { return nil }
        waitingForRetry = false
        return startHeadIfIdle()
    }

    private mutating func startHeadIfIdle() -> WebhookAttempt? {
        guard inFlight == nil, !waitingForRetry, head < queue.count else { return nil }
        queue[head].attempts += 1
        let attempt = WebhookAttempt(deliveryId: nextDeliveryId, event: queue[head])
        inFlight = nextDeliveryId
        nextDeliveryId += 1
        return attempt
    }

    private mutating func popHead() {
        head += 1
        // Compact now and then so a long run does not keep every delivered body alive.
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }
}
