import Foundation
import HTTPModel
import Logging
import RelayCore
import RelayStore
import Synchronization

/// This relay as one node among several sharing a store (docs/ARCHITECTURE.md,
/// "Several nodes"): keeps the node alive in the store, carries messages to and
/// from the other nodes, and notices nodes that die. What the messages *mean*
/// (routing sessions, proxying connections) is the host's (RelayHost+Cluster.swift).
///
/// A background thread waits on the store (one blocking read of this node's inbox
/// and of the shared log) and posts what arrives to the loop; everything else runs
/// on the loop thread.
final class ClusterNode {
    struct Settings: Sendable {
        var heartbeatMs = 1_000
        /// A node whose heartbeat is older than this is dead: its sessions are taken over.
        var nodeTimeoutMs = 5_000
        /// A request forwarded to another node that gets no answer in this time is answered 503.
        var requestTimeoutMs = 10_000
        /// Sessions of dead nodes claimed per heartbeat (restoring them costs reads).
        var takeoverBatch = 200
    }

    /// What the listener thread posts to the loop.
    struct Arrival: Sendable {
        let generation: Int
        let delivery: ClusterDelivery
    }

    let store: any ClusterStore
    let settings: Settings
    private let loop: ServiceLoop
    private let logger: Logger
    var nodeID: String { store.nodeID }
    /// Owner side: connections other nodes proxy to sessions owned here.
    var remote = RemoteConnections()
    /// Edge side: this node's WebSockets whose session another node owns → that node.
    var proxied: [ConnectionID: String] = [:]
    /// Sessions this node took over from another: their earlier webhooks were seen elsewhere.
    var adopted: Set<SessionID> = []
    /// Where sessions owned elsewhere live, as last found: saves two store round trips per
    /// webhook at the edge. A stale entry costs one extra hop (the old owner routes again),
    /// never a wrong answer; entries of dead nodes are dropped.
    var ownerCache = BoundedCache<SessionID, String>(capacity: 100_000)
    /// 8x8 conversation → session (never changes once created).
    var conversationCache = BoundedCache<String, SessionID>(capacity: 100_000)
    /// Messages for other nodes, sent once per turn (after the commit: see ``RelayHost/flush()``).
    private var outgoing: [NodeMessage] = []
    /// Forwarded requests waiting for their answer.
    private var waiting: [UInt64: (respond: (HTTPResponse) -> Void, deadline: UInt64)] = [:]
    private var nextRequest: UInt64 = 1
    private(set) var liveNodes: Set<String> = []
    private var listenerGeneration = 0
    /// Whether the listener reads the shared log: only while this node has stream
    /// subscribers or runs webhook feeds. Otherwise every event appended anywhere would wake
    /// this node's loop for nothing, and each wake-up is a poll() over every connection.
    let logInterest = LogInterest()
    private var stopListener: StopFlag?
    private var listenerThreads: [Thread] = []
    /// What happened between the nodes, for `relay_cluster_events_total{event}` (keys: ``Event``).
    private(set) var counts: [String: Int] = [:]

    enum Event: String {
        case connectionProxied = "connection_proxied"
        case requestForwarded = "request_forwarded"
        case requestTimedOut = "request_timed_out"
        case sessionTakenOver = "session_taken_over"
        case sessionReleased = "session_released"
        case historyReset = "history_reset"
        /// Messages that could not be posted (the store was unreachable): lost to the other
        /// node, whose clients then time out and reconnect.
        case messageLost = "message_lost"
    }

    func count(_ event: Event, _ n: Int = 1) { counts[event.rawValue, default: 0] += n }

    var onMessage: (ClusterMessage) -> Void = { _ in }
    var onEvents: ([StoredEvent]) -> Void = { _ in }
    /// Nodes that were alive at the previous heartbeat, or that this node proxies to or for, and are not alive now.
    var onNodesDied: (Set<String>) -> Void = { _ in }
    /// Every heartbeat, after the store was told this node lives.
    var onHeartbeat: () -> Void = {}

    init(store: any ClusterStore, settings: Settings, loop: ServiceLoop, logger: Logger) {
        self.store = store
        self.settings = settings
        self.loop = loop
        self.logger = logger
    }

    /// Joins the cluster: first listens (so nothing posted to this node is missed), then
    /// announces itself. Call after the loop started.
    func start(afterOffset: Int64) throws(StoreError) {
        loop.onMail { [unowned self] items in
            for case let arrival as Arrival in items where arrival.generation == self.listenerGeneration {
                self.arrived(arrival.delivery)
            }
        }
        try listen(afterOffset: afterOffset)
        try store.heartbeat(ttlMs: settings.nodeTimeoutMs)
        liveNodes = try store.liveNodes()
        scheduleHeartbeat()
        loop.schedule(afterMs: 1_000) { [unowned self] in self.expireRequests() }
    }

    /// (Re)starts the listener thread from `afterOffset` of the log (again after the store's
    /// epoch changed: the new log starts at 1). A previous thread ends at its next wake-up;
    /// what it still posts is ignored (older generation).
    func listen(afterOffset: Int64) throws(StoreError) {
        stopListener?.stop()
        if logInterest.offset != nil { logInterest.set(afterOffset) }
        listenerGeneration += 1
        let listener = try store.openListener(afterOffset: afterOffset)
        guard let poster = loop.poster() else { throw StoreError(.invalid, "the cluster listener needs a started loop") }
        let stop = StopFlag()
        stopListener = stop
        let generation = listenerGeneration
        let logger = self.logger
        let handoff = Handoff(listener)
        let interest = logInterest
        let thread = Thread {
            Self.listen(handoff.value, poster: poster, generation: generation, stop: stop, logFrom: interest, logger: logger)
        }
        thread.name = "cluster-listener"
        thread.start()
        listenerThreads.append(thread)
    }

    private static func listen(_ listener: any ClusterListener, poster: LoopPoster, generation: Int, stop: StopFlag,
                               logFrom: LogInterest, logger: Logger) {
        var failing = false
        while !stop.stopped {
            do {
                let delivery = try listener.next(timeoutMs: 1_000, logAfter: logFrom.offset)
                if failing { logger.notice("cluster listener reconnected to the store") }
                failing = false
                if !delivery.isEmpty { poster.post(Arrival(generation: generation, delivery: delivery)) }
            } catch {
                if !failing { logger.error("cluster listener cannot read the store; retrying", metadata: ["error": "\(error)"]) }
                failing = true
                usleep(200_000)
            }
        }
        listener.close()
    }

    /// Stops listening and leaves the cluster (a clean shutdown: the other nodes take the
    /// sessions over at once instead of after `nodeTimeoutMs`).
    func leave() {
        stopListener?.stop()
        do { try store.leave() } catch { logger.warning("could not unregister from the cluster", metadata: ["error": "\(error)"]) }
    }

    // MARK: messages

    func send(_ message: ClusterMessage, to node: String) {
        outgoing.append(NodeMessage(node: node, payload: message.encoded))
    }

    /// Posts the turn's messages. A failure loses them (see ``postFailures``).
    func flushOutgoing() {
        guard !outgoing.isEmpty else { return }
        let batch = outgoing
        outgoing = []
        do {
            try store.post(batch)
        } catch {
            count(.messageLost, batch.count)
            logger.error("cannot post messages to other relay nodes", metadata: ["error": "\(error)", "messages": "\(batch.count)"])
        }
    }

    /// Hands `request` to `node`; `respond` gets its answer, or a 503 after `requestTimeoutMs`.
    func forward(_ request: HTTPRequest, to node: String, respond: @escaping (HTTPResponse) -> Void) {
        let id = nextRequest
        nextRequest += 1
        waiting[id] = (respond, LoopClock.monotonicMs() + UInt64(settings.requestTimeoutMs))
        count(.requestForwarded)
        send(.request(from: nodeID, id: id, request), to: node)
    }

    private func arrived(_ delivery: ClusterDelivery) {
        for payload in delivery.messages {
            guard let message = ClusterMessage(decoding: payload) else {
                logger.error("unreadable message from another relay node (different versions?)", metadata: ["bytes": "\(payload.count)"])
                continue
            }
            if case .response(let id, let response) = message {
                waiting.removeValue(forKey: id)?.respond(response)
            } else {
                onMessage(message)
            }
        }
        if !delivery.events.isEmpty { onEvents(delivery.events) }
    }

    private func expireRequests() {
        let now = LoopClock.monotonicMs()
        for (id, entry) in waiting where entry.deadline <= now {
            waiting.removeValue(forKey: id)
            count(.requestTimedOut)
            entry.respond(.problem(503, code: "node_unavailable", message: "the relay node holding this session did not answer; retry"))
        }
        loop.schedule(afterMs: 1_000) { [unowned self] in self.expireRequests() }
    }

    // MARK: liveness

    private func scheduleHeartbeat() {
        loop.schedule(afterMs: settings.heartbeatMs) { [unowned self] in
            self.beat()
            self.scheduleHeartbeat()
        }
    }

    private func beat() {
        do {
            try store.heartbeat(ttlMs: settings.nodeTimeoutMs)
            let alive = try store.liveNodes()
            // Also the nodes this one talks to: one may have joined and died between two beats.
            let known = liveNodes.union(proxied.values).union(remote.nodes)
            let died = known.subtracting(alive)
            liveNodes = alive
            if !died.isEmpty {
                logger.warning("relay nodes stopped answering", metadata: ["nodes": "\(died.sorted().joined(separator: ","))"])
                onNodesDied(died)
            }
            onHeartbeat()
        } catch {
            logger.error("cannot reach the store for the cluster heartbeat", metadata: ["error": "\(error)"])
        }
    }
}

/// Tells a listener thread to end (at its next wake-up, within a second).
final class StopFlag: Sendable {
    private let flag = Atomic(false)
    func stop() { flag.store(true, ordering: .relaxed) }
    var stopped: Bool { flag.load(ordering: .relaxed) }
}

/// Moves a non-Sendable value to another thread that becomes its only user.
struct Handoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A dictionary that forgets everything when it reaches its capacity: a cheap bound for
/// caches whose misses only cost a lookup.
struct BoundedCache<Key: Hashable, Value> {
    private var entries: [Key: Value] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: Key) -> Value? {
        get { entries[key] }
        set {
            if newValue != nil, entries[key] == nil, entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = newValue
        }
    }

    mutating func removeAll(where shouldRemove: (Value) -> Bool) {
        entries = entries.filter { !shouldRemove($0.value) }
    }
}

/// From where the listener thread reads the shared log; nil while nobody on this node needs it.
final class LogInterest: Sendable {
    private let value = Atomic<Int64>(-1)
    var offset: Int64? {
        let v = value.load(ordering: .acquiring)
        return v < 0 ? nil : v
    }
    func set(_ offset: Int64?) { value.store(offset.map { max(0, $0) } ?? -1, ordering: .releasing) }
}
