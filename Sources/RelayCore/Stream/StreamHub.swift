import RelayStore

/// The `handover.stream.v1` subscribers: authorisation, where each one starts,
/// paced replay from the durable log, the switch to live, and backpressure.
///
/// Reads go to the ``EventStore`` passed in (the same thread owns both); live
/// events arrive through ``committed(_:now:)`` once they are durable. A
/// subscriber is either replaying — live events are ignored for it, because
/// it will read them from the log — or live, so no event is delivered twice
/// or skipped at the switch.
public struct StreamHub: Sendable {
    public struct Limits: Equatable, Sendable {
        /// Events read from the log per query.
        public var pageSize = 256
        /// A replay pauses once this much is queued, until the socket drained.
        public var replayBudgetBytes = 256 << 10
        /// A live subscriber with more than this queued is disconnected (`too_slow`).
        public var maxQueuedBytes = 1 << 20
        public init() {}
    }

    enum Phase: Equatable, Sendable { case awaitingSubscribe, replaying, live, closed }

    struct Subscriber: Sendable {
        var phase: Phase = .awaitingSubscribe
        var filter = StreamFilter()
        /// The last offset examined for this subscriber (delivered or filtered out).
        var cursor: Int64 = 0
        /// Bytes handed to the socket since it last drained.
        var queuedBytes = 0
        var expiresAt: Int64 = .max
        var subject = ""
    }

    public let limits: Limits
    private let secret: [UInt8]
    private var subscribers: [ConnectionID: Subscriber] = [:]
    /// Live subscribers in connection order (deterministic fan-out).
    private var live: [ConnectionID] = []

    public init(secret: [UInt8], limits: Limits = Limits()) {
        self.secret = secret
        self.limits = limits
    }

    public var subscriberCount: Int { subscribers.count }
    public var liveCount: Int { live.count }

    public mutating func connected(_ connection: ConnectionID) { subscribers[connection] = Subscriber() }

    /// The log started a new history (epoch): every subscriber's position belongs to the old
    /// one, so each is told and closed; it resubscribes and learns `recovered:false`.
    public mutating func historyReset() -> [RelayEffect] {
        var effects: [RelayEffect] = []
        for connection in subscribers.keys.sorted() where subscribers[connection]!.phase != .closed {
            subscribers[connection]!.phase = .closed
            effects += [.send(connection, StreamFrame.error(code: "epoch_changed", message: "the event log was reset (new epoch); resubscribe from your position")),
                        .close(connection, code: StreamCloseCode.historyReset, reason: "epoch_changed")]
        }
        live.removeAll()
        return effects
    }

    public mutating func disconnected(_ connection: ConnectionID) {
        if subscribers.removeValue(forKey: connection)?.phase == .live { live.removeAll { $0 == connection } }
    }

    // MARK: subscribe

    public mutating func frame(_ connection: ConnectionID, text: String, now: Int64, log: some EventStore) -> [RelayEffect] {
        guard let subscriber = subscribers[connection] else { return [] }
        guard subscriber.phase == .awaitingSubscribe else {
            return [.send(connection, StreamFrame.error(code: "bad_frame", message: "already subscribed; this connection takes no further frames"))]
        }
        let subscribe: StreamSubscribe
        do {
            subscribe = try StreamSubscribe.decode(text)
        } catch {
            return refuse(connection, "bad_frame", StreamCloseCode.badFrame, error.message)
        }
        let token: IntegratorToken
        do {
            token = try IntegratorToken.verify(subscribe.token, nowSeconds: now / 1000, secret: secret)
        } catch .expired {
            return refuse(connection, "bad_token", StreamCloseCode.badToken, "the token has expired")
        } catch {
            return refuse(connection, "bad_token", StreamCloseCode.badToken, "the token is not valid")
        }
        guard token.scopes.contains(IntegratorToken.streamScope) else {
            return refuse(connection, "forbidden", StreamCloseCode.forbidden, "the token lacks scope '\(IntegratorToken.streamScope)'")
        }
        let filter: StreamFilter
        switch subscribe.filter.within(StreamFilter(scopeOf: token)) {
        case .success(let narrowed): filter = narrowed
        case .failure(let forbidden): return refuse(connection, "forbidden", StreamCloseCode.forbidden, forbidden.message)
        }
        let start: Start
        do {
            start = try Self.resolve(subscribe.from, log: log)
        } catch let error as PositionError {
            return refuse(connection, "bad_position", StreamCloseCode.badPosition, error.message)
        } catch {
            return refuse(connection, "store_unavailable", StreamCloseCode.storeUnavailable, "the event log cannot be read; retry later")
        }
        subscribers[connection] = Subscriber(phase: .replaying, filter: filter, cursor: start.cursor, queuedBytes: 0,
                                             expiresAt: token.expiresAt * 1000, subject: token.subject)
        var effects: [RelayEffect] = [
            .send(connection, StreamFrame.subscribed(epoch: log.epoch, position: start.cursor, lastOffset: start.last,
                                                     recovered: start.reason == nil, reason: start.reason)),
            .log(LogRecord(.info, "stream subscriber", ["subscriber": token.subject, "from": String(start.cursor),
                                                        "recovered": String(start.reason == nil)])),
        ]
        effects += replay(connection, log: log)
        return effects
    }

    struct Start {
        var cursor: Int64
        var last: Int64
        /// Why events between the requested position and `cursor` may be missing; nil when none are.
        var reason: String?
    }

    struct PositionError: Error { let message: String }

    /// Where a subscriber starts, and whether that loses anything it asked for.
    static func resolve(_ position: StreamPosition, log: some EventStore) throws -> Start {
        let last = try log.lastOffset()
        let pruned = try log.prunedThrough()
        switch position {
        case .now:
            return Start(cursor: last, last: last)
        case .after(let offset, let epoch):
            if let epoch, epoch != log.epoch {
                // A different history: everything this one still holds is new to the client.
                return Start(cursor: 0, last: last, reason: "epoch_changed")
            }
            guard offset <= last else {
                throw PositionError(message: "offset \(offset) is past the end of the log (\(last)) of epoch \(log.epoch)")
            }
            return Start(cursor: offset, last: last, reason: offset < pruned ? "pruned" : nil)
        case .since(let ts):
            let first = try log.firstOffset(since: ts)
            let cursor = first.map { $0 - 1 } ?? last
            // Unlike an offset, a time does not say whether the pruned event at `cursor` came before it:
            // its ts is gone. Only a stored event at `cursor` (older than `ts`) proves nothing was lost.
            return Start(cursor: cursor, last: last, reason: pruned > 0 && cursor <= pruned ? "pruned" : nil)
        }
    }

    private mutating func refuse(_ connection: ConnectionID, _ code: String, _ close: UInt16, _ message: String) -> [RelayEffect] {
        subscribers[connection]?.phase = .closed
        return [.send(connection, StreamFrame.error(code: code, message: message)), .close(connection, code: close, reason: code)]
    }

    // MARK: replay and live

    /// Sends the next part of a replay, until the budget is queued or the log
    /// is exhausted (then the subscriber is live).
    private mutating func replay(_ connection: ConnectionID, log: some EventStore) -> [RelayEffect] {
        guard var sub = subscribers[connection], sub.phase == .replaying else { return [] }
        var effects: [RelayEffect] = []
        var sentAny = false
        var scanned = 0
        defer { subscribers[connection] = sub }
        while true {
            let page: [StoredEvent]
            do {
                page = try log.events(after: sub.cursor, limit: limits.pageSize)
            } catch {
                sub.phase = .closed
                return effects + [.send(connection, StreamFrame.error(code: "store_unavailable", message: "the event log cannot be read; resume later")),
                                  .close(connection, code: StreamCloseCode.storeUnavailable, reason: "store_unavailable")]
            }
            for event in page {
                sub.cursor = event.offset
                guard sub.filter.matches(event) else { continue }
                let frame = StreamFrame.event(event)
                sub.queuedBytes += frame.utf8.count
                sentAny = true
                effects.append(.send(connection, frame))
            }
            scanned += page.count
            if page.count < limits.pageSize {
                // Caught up. Nothing can be committed between that read and this line (one thread), so live starts exactly here.
                if let last = try? log.lastOffset() { sub.cursor = max(sub.cursor, last) }
                sub.phase = .live
                live.append(connection)
                live.sort()
                effects.append(.send(connection, StreamFrame.live(offset: sub.cursor)))
                return effects
            }
            if sub.queuedBytes >= limits.replayBudgetBytes || scanned >= limits.pageSize * 16 {
                // Wait for the socket to drain; a filtered replay that matched nothing sends its position so the drain comes.
                if !sentAny {
                    let frame = StreamFrame.position(offset: sub.cursor)
                    sub.queuedBytes += frame.utf8.count
                    effects.append(.send(connection, frame))
                }
                return effects
            }
        }
    }

    /// The shell wrote everything queued for `connection`: continue a paused replay.
    public mutating func drained(_ connection: ConnectionID, log: some EventStore) -> [RelayEffect] {
        guard subscribers[connection] != nil else { return [] }
        subscribers[connection]!.queuedBytes = 0
        return replay(connection, log: log)
    }

    /// Events just made durable, in offset order: to every live subscriber they match.
    public mutating func committed(_ events: [StoredEvent], now: Int64) -> [RelayEffect] {
        guard !live.isEmpty, !events.isEmpty else { return [] }
        var effects: [RelayEffect] = []
        var frames: [Int64: String] = [:]  // each event serialised once, however many subscribers
        var dropped: [ConnectionID] = []
        for connection in live {
            guard var sub = subscribers[connection] else { continue }
            if now >= sub.expiresAt {
                effects += [.send(connection, StreamFrame.error(code: "bad_token", message: "the token has expired; subscribe again with a new one")),
                            .close(connection, code: StreamCloseCode.badToken, reason: "token expired")]
                sub.phase = .closed
                subscribers[connection] = sub
                dropped.append(connection)
                continue
            }
            for event in events where event.offset > sub.cursor {
                sub.cursor = event.offset
                guard sub.filter.matches(event) else { continue }
                let frame = frames[event.offset] ?? StreamFrame.event(event)
                frames[event.offset] = frame
                sub.queuedBytes += frame.utf8.count
                effects.append(.send(connection, frame))
            }
            if sub.queuedBytes > limits.maxQueuedBytes {
                effects += [.send(connection, StreamFrame.error(code: "too_slow", message: "too far behind; resume from your last offset")),
                            .close(connection, code: StreamCloseCode.tooSlow, reason: "too_slow")]
                sub.phase = .closed
                dropped.append(connection)
                effects.append(.log(LogRecord(.warning, "stream subscriber too slow; disconnected",
                                              ["subscriber": sub.subject, "queuedBytes": String(sub.queuedBytes)])))
            }
            subscribers[connection] = sub
        }
        if !dropped.isEmpty { live.removeAll { dropped.contains($0) } }
        return effects
    }
}
