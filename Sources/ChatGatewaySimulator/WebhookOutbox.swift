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
///
/// Every outcome but `ignored` frees a delivery slot, so each carries the
/// attempt that took it over, if another conversation was waiting for one.
enum WebhookOutcome: Sendable, Equatable {
    /// Not an attempt in flight (stale or unknown id): nothing changes.
    case ignored
    /// Delivered; the conversation's next event waits for a slot like any other.
    case delivered(next: WebhookAttempt?)
    /// Failed; retry the same event after `afterMs`. Its conversation sends
    /// nothing else until then; other conversations go on.
    case retryLater(event: WebhookEvent, afterMs: Int, next: WebhookAttempt?)
    /// Failed for the last time; the event is dropped.
    case gaveUp(event: WebhookEvent, next: WebhookAttempt?)
}

/// The webhook delivery queue: at most one attempt in flight per
/// conversation, in event order, different conversations concurrently up to
/// `maxConcurrentDeliveries`, with bounded retries.
///
/// 8x8 orders webhooks per conversation at best and delivers different
/// conversations in parallel, so this is the ordering the relay must cope
/// with: a conversation's events arrive in order, and one conversation's
/// failing webhook (waiting for its retry) holds back only that conversation.
/// Retries exercise the relay's idempotency.
///
/// Each conversation has a lane (its events, oldest first); lanes that could
/// send but find every slot taken wait in `ready`, served in the order they
/// became ready, so no conversation starves. Every step is O(1) amortised,
/// whatever the number of pending events.
struct WebhookOutbox: Sendable, Equatable {
    /// Attempts in flight at once, all conversations together: outbound
    /// connections stay bounded, and 8 matches the relay's own outbound lanes
    /// (the host sends these over the same loop).
    static let maxConcurrentDeliveries = 8

    /// One conversation's events not yet delivered or dropped.
    private struct Lane: Sendable, Equatable {
        /// The event being sent, waiting for its retry, or next to go.
        var head: WebhookEvent
        var later = FIFO<WebhookEvent>()
        var waitingForRetry = false
    }

    /// Only conversations with pending events have a lane.
    private var lanes: [String: Lane] = [:]
    /// Conversations whose head can go as soon as a slot frees. Not empty
    /// only while every slot is taken.
    private var ready = FIFO<String>()
    /// The conversation of each attempt the host is running.
    private var inFlight: [Int: String] = [:]
    private var nextDeliveryId = 1

    /// Events not yet delivered or dropped (those in flight included).
    private(set) var pendingCount = 0

    /// Attempts the host is running.
    var inFlightCount: Int { inFlight.count }

    /// Adds an event; returns its first attempt when its conversation had
    /// nothing pending and a slot is free.
    mutating func enqueue(_ event: WebhookEvent) -> WebhookAttempt? {
        pendingCount += 1
        guard lanes[event.conversationId] == nil else {
            lanes[event.conversationId]!.later.append(event)
            return nil
        }
        lanes[event.conversationId] = Lane(head: event)
        ready.append(event.conversationId)
        return startNextReady()
    }

    /// Records the outcome of an attempt.
    mutating func complete(deliveryId: Int, success: Bool, maxAttempts: Int, retryDelayMs: (Int) -> Int) -> WebhookOutcome {
        guard let conversationId = inFlight.removeValue(forKey: deliveryId) else { return .ignored }
        let event = lanes[conversationId]!.head
        if success {
            finishHead(of: conversationId)
            return .delivered(next: startNextReady())
        }
        if event.attempts >= max(maxAttempts, 1) {
            finishHead(of: conversationId)
            return .gaveUp(event: event, next: startNextReady())
        }
        lanes[conversationId]!.waitingForRetry = true
        return .retryLater(event: event, afterMs: retryDelayMs(event.attempts), next: startNextReady())
    }

    /// The retry timer of this conversation fired: its head event's next
    /// attempt, or a place in line when every slot is taken.
    mutating func retryDue(conversationId: String) -> WebhookAttempt? {
        guard lanes[conversationId]?.waitingForRetry == true else { return nil }
        lanes[conversationId]!.waitingForRetry = false
        ready.append(conversationId)
        return startNextReady()
    }

    /// Takes a free slot, if any, for the conversation that has been ready longest.
    private mutating func startNextReady() -> WebhookAttempt? {
        guard inFlight.count < Self.maxConcurrentDeliveries, let conversationId = ready.removeFirst() else { return nil }
        lanes[conversationId]!.head.attempts += 1
        let attempt = WebhookAttempt(deliveryId: nextDeliveryId, event: lanes[conversationId]!.head)
        inFlight[nextDeliveryId] = conversationId
        nextDeliveryId += 1
        return attempt
    }

    /// The head event is delivered or dropped: the next one lines up, or the
    /// lane goes away so ended conversations cost nothing.
    private mutating func finishHead(of conversationId: String) {
        pendingCount -= 1
        if let next = lanes[conversationId]!.later.removeFirst() {
            lanes[conversationId]!.head = next
            ready.append(conversationId)
        } else {
            lanes[conversationId] = nil
        }
    }
}

/// A first-in first-out queue with O(1) amortised operations.
///
/// Removed elements are dropped in bulk once they make up half the storage,
/// so a long run does not keep every delivered body alive.
struct FIFO<Element: Sendable & Equatable>: Sendable, Equatable {
    private var items: [Element] = []
    private var head = 0

    mutating func append(_ element: Element) { items.append(element) }

    mutating func removeFirst() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }
}
