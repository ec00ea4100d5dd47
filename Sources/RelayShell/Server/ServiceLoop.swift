import CLWS
import HTTPModel
import Logging
import RelayCore

/// The one libwebsockets service loop of the process: it serves HTTP and
/// WebSocket on one port, makes outbound HTTP(S) calls and runs timers, all on
/// the thread that calls ``run()``.
///
/// - Important: not thread-safe by design (lws is single-threaded per service
///   thread). Every method except ``stop()`` must be called on the loop thread,
///   i.e. from a handler, an endpoint, a completion or a timer.
public final class ServiceLoop {
    public struct Options: Sendable {
        public var port: Int
        /// Interface or address to bind; nil binds all interfaces.
        public var bindAddress: String?
        /// Sizes, rates, connection caps and timeouts (``ConnectionLimits``).
        public var limits: ConnectionLimits
        /// Keep-alive connections per outbound host:port (see ``OutboundLanes``).
        public var outboundLanes: Int
        /// HTTPS/WSS on the port when a certificate is set; the CA bundle of outbound calls (see ServiceLoop+TLS).
        public var tls = TLSSettings()
        /// Which page origins may open WebSocket endpoints that check it (see ``WebSocketEndpoint/checksOrigin``).
        public var originPolicy = OriginPolicy()
        /// How long a shutdown waits for clients to leave and outbound calls to finish.
        public var shutdownGraceMs = 10_000
        /// How lws waits for socket events (see ``EventLoop``).
        public var eventLoop = EventLoop.poll

        public init(port: Int = 8080, bindAddress: String? = nil, limits: ConnectionLimits = ConnectionLimits(), outboundLanes: Int = 32) {
            self.port = port
            self.bindAddress = bindAddress
            self.limits = limits
            self.outboundLanes = max(1, outboundLanes)
        }
    }

    /// How lws waits for socket events. Neither wins everywhere (docs/BENCHMARKS.md):
    /// `poll()` hands every descriptor to the kernel each turn (12–15 % of the CPU
    /// with ~1 000 busy connections); epoll pays two `epoll_ctl` calls per frame
    /// written (lws asks for POLLOUT, then drops it), which doubled the fan-out's cost.
    public enum EventLoop: String, Sendable, CaseIterable {
        /// libev (epoll), through lws's libev plugin; falls back to `poll` when the
        /// plugin is not installed.
        case epoll
        /// lws's own `poll()` loop: the default.
        case poll
    }

    public let options: Options
    public let logger: Logger
    var context: OpaquePointer?
    /// The libev loop lws runs on, when ``EventLoop/epoll`` is in use (owned here: lws gets it as a foreign loop).
    private(set) var evLoop: OpaquePointer?
    /// On libev the relay's timers are its own libev timer, not an lws timer: lws 4.1's
    /// libev plugin does not move its armed timer earlier when a sooner lws timer is
    /// added between socket events (it calls ev_timer_set on the active watcher), so a
    /// 40 ms retry waited for the next unrelated socket event — seconds on a quiet relay.
    private var evWakeup: UnsafeMutablePointer<ev_timer>?
    /// Once a second, lws's wake-up pipe: lws runs its own timers (timeouts, closes)
    /// after socket activity, so on a quiet relay they are at most this late.
    private var evTick: UnsafeMutablePointer<ev_timer>?
    /// lws reads the foreign loop from this array during context creation only.
    private var foreignLoops: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    /// The loop in use (``EventLoop/epoll`` may have fallen back to `poll`).
    public private(set) var eventLoop = EventLoop.poll
    var httpHandlers: [HTTPHandler] = []
    var endpoints: [String: WebSocketEndpoint] = [:]
    var webSockets: [UInt64: WebSocketConnection] = [:]
    var transactions: [UInt64: HTTPTransaction] = [:]
    var calls: [UInt64: OutboundCall] = [:]
    /// Finished calls whose completion waits for the next turn (see ``finish(_:_:)``).
    var undeliveredResults = 0
    /// Calls made again because the keep-alive connection they were queued on closed before
    /// their request was sent (see ``reissueIfNeverSent(_:)``).
    public internal(set) var reissuedCalls = 0
    var lanes = OutboundLanes()
    /// Open WebSockets per client address, against `limits.maxConnectionsPerAddress`.
    var addressQuota: AddressQuota
    /// How often each limit refused something.
    public internal(set) var limitCounters = LimitCounters()
    /// `relay_websocket_connections*` (Metrics/ConnectionMetrics.swift).
    let connectionMetrics = ConnectionMetrics()
    private var timers = TimerQueue()
    private var timerActions: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1
    /// C storage lws keeps pointers into: must outlive the context.
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private var cStrings: [UnsafeMutablePointer<CChar>] = []
    private let wakeup: UnsafeMutablePointer<lws_sorted_usec_list_t>
    /// No per-connection validity timer (see ``start()``); lws keeps a pointer to it.
    private let serverConnectionPolicy: UnsafeMutablePointer<lws_retry_bo_t>
    private var wakeupDeadline: UInt64?
    /// Run after each service turn (every batch of socket events and timers).
    private var turnEndHooks: [() -> Void] = []
    /// Shutting down: no new connections (see ``drain(graceMs:)``).
    var draining = false
    /// True while the turn-end hooks run (the commit and what waited for it), outside any lws callback.
    private(set) var endingTurn = false
    /// Values posted by other threads (ServiceLoop+Mailbox.swift), and who takes them.
    let mailbox = Mailbox()
    var mailHandler: (([any Sendable]) -> Void)?
    /// Set from any thread (signal handler) by ``stop()``.
    nonisolated(unsafe) private var stopRequested = false

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
        addressQuota = AddressQuota(maxPerAddress: options.limits.maxConnectionsPerAddress)
        wakeup = .allocate(capacity: 1)
        wakeup.initialize(to: lws_sorted_usec_list_t())
        serverConnectionPolicy = .allocate(capacity: 1)
        serverConnectionPolicy.initialize(to: lws_retry_bo_t())  // all zero: no validity ping, no idle hangup
    }

    deinit {
        if let context { lws_context_destroy(context) }
        if let evLoop {
            if let evWakeup { clws_ev_timer_free(evLoop, evWakeup) }
            if let evTick { clws_ev_timer_free(evLoop, evTick) }
            ev_loop_destroy(evLoop)
        }
        foreignLoops?.deallocate()
        protocols?.deallocate()
        cStrings.forEach { free($0) }
        wakeup.deallocate()
        serverConnectionPolicy.deallocate()
    }

    public func addHTTPHandler(_ handler: HTTPHandler) { httpHandlers.append(handler) }

    /// Runs `hook` on the loop after every service turn: once lws has handled
    /// all the socket events and timers that were ready. This is where the
    /// relay commits a turn's changes in one transaction (group commit).
    public func onTurnEnd(_ hook: @escaping () -> Void) { turnEndHooks.append(hook) }

    func endTurn() {
        endingTurn = true
        defer { endingTurn = false }
        for hook in turnEndHooks { hook() }
    }
    public func addEndpoint(_ endpoint: WebSocketEndpoint) { endpoints[endpoint.subprotocol] = endpoint }

    func newID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        cStrings.append(p)
        return p
    }

    /// Creates the lws context and starts listening.
    public func start() throws(StartError) {
        lws_set_log_level(Int32(LLL_ERR) | (getenv("RELAY_LWS_DEBUG") != nil ? Int32(LLL_WARN | LLL_NOTICE | LLL_INFO) : 0), nil)
        // Protocol 0 serves plain HTTP; then one per WebSocket endpoint; then the HTTP client; then the terminator.
        let names = endpoints.keys.sorted()
        let list = UnsafeMutablePointer<lws_protocols>.allocate(capacity: names.count + 3)
        var index = 0
        func add(_ name: String, _ callback: LWSCallback, pss: Int, rx: Int) {
            var proto = lws_protocols()
            proto.name = UnsafePointer(cString(name))
            proto.callback = callback
            proto.per_session_data_size = pss
            proto.rx_buffer_size = rx
            (list + index).initialize(to: proto)
            index += 1
        }
        add("http", httpServerCallback, pss: MemoryLayout<UInt64>.size, rx: 0)
        for name in names { add(name, webSocketCallback, pss: MemoryLayout<UInt64>.size, rx: 16_384) }
        add(OutboundCall.protocolName, httpClientCallback, pss: 0, rx: 0)
        (list + index).initialize(to: lws_protocols())
        protocols = list

        var info = lws_context_creation_info()
        info.port = Int32(options.port)
        info.iface = options.bindAddress.map { UnsafePointer(cString($0)) }
        info.protocols = UnsafePointer(list)
        info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT) | UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
        // The context's user pointer is how C callbacks find this object again; the
        // loop owns the context, so an unretained reference cannot dangle.
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.timeout_secs = 20
        // lws 4.1 gives every server connection a "validity" timer (ping after 300 s idle)
        // and moves it in one sorted list on every frame received: O(connections) per
        // frame, 44 % of the CPU in the 10 000-session reconnect storm. No policy, no timer.
        info.retry_and_idle_policy = UnsafePointer(serverConnectionPolicy)
        try configureTLS(&info)
        ServiceLoop.current = self
        context = createContext(&info)
        guard context != nil else { throw StartError(message: "cannot listen on port \(options.port) (in use, or not permitted)\(tlsStartHint)") }
        logger.info("serving", metadata: ["eventLoop": "\(eventLoop.rawValue)"])
        try createOutboundLanes(protocols: list)
        scheduleLivenessSweep()
        rearmWakeup()  // arm timers scheduled before the context existed
    }

    /// The C signature of an lws protocol callback.
    typealias LWSCallback = @convention(c) (OpaquePointer?, lws_callback_reasons, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int) -> Int32

    public struct StartError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Serves until ``stop()``, then drains (see ``drain(graceMs:)``).
    public func run() {
        while !stopRequested {
            if !serviceOnce() { return }
            deliverMail()
            endTurn()
        }
        drain(graceMs: options.shutdownGraceMs)
    }

    /// Waits for socket events and timers and handles everything ready: one turn.
    /// False when lws gave up.
    func serviceOnce() -> Bool {
        // With libev, lws_service() would run the loop until it is broken;
        // EVRUN_ONCE keeps the turn structure (commit after each turn).
        if let evLoop {
            _ = ev_run(evLoop, clws_evrun_once())
            return true
        }
        return lws_service(context, 0) >= 0
    }

    /// The lws context on libev (epoll) when asked for and available, else on lws's own poll loop.
    private func createContext(_ info: inout lws_context_creation_info) -> OpaquePointer? {
        if options.eventLoop == .epoll, let loop = ev_loop_new(0) {
            let loops = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
            loops.initialize(to: UnsafeMutableRawPointer(loop))
            var onEv = info
            onEv.options |= UInt64(LWS_SERVER_OPTION_LIBEV)
            onEv.foreign_loops = loops
            if let context = lws_create_context(&onEv) {
                evLoop = loop
                foreignLoops = loops
                eventLoop = .epoll
                evWakeup = clws_ev_timer_new(evWakeupFired)
                evTick = clws_ev_timer_new(evTickFired)
                if let evTick { clws_ev_timer_arm(loop, evTick, 1, 1) }
                return context
            }
            loops.deallocate()
            ev_loop_destroy(loop)
            logger.warning("libev event loop unavailable (is libwebsockets-evlib-ev installed?); using poll()")
        }
        eventLoop = .poll
        return lws_create_context(&info)
    }

    /// Ends ``run()``. Safe from any thread or a signal handler: it only sets a
    /// flag and wakes the loop through lws's own pipe.
    public func stop() {
        stopRequested = true
        if let context { lws_cancel_service(context) }
    }

    /// Stops the loop of this process, if one runs: for signal handlers, which
    /// cannot capture context.
    public static func stopCurrent() { current?.stop() }

    // MARK: Timers

    /// Runs `action` on the loop after `afterMs` milliseconds.
    public func schedule(afterMs: Int, _ action: @escaping () -> Void) {
        let id = newID()
        timerActions[id] = action
        timers.insert(deadline: LoopClock.monotonicMs() + UInt64(max(0, afterMs)), id: id)
        rearmWakeup()
    }

    /// Keeps exactly one lws timer armed, for the earliest deadline.
    private func rearmWakeup() {
        guard let earliest = timers.earliest, let context else { return }
        if let armed = wakeupDeadline, armed <= earliest { return }
        wakeupDeadline = earliest
        let now = LoopClock.monotonicMs()
        let delayUs = earliest > now ? Int64(earliest - now) * 1000 : 0
        if let evLoop, let evWakeup {
            clws_ev_timer_arm(evLoop, evWakeup, Double(delayUs) / 1_000_000, 0)
        } else {
            lws_sul_schedule(context, 0, wakeup, serviceLoopWakeup, delayUs)
        }
    }

    /// Closes `wsi` from the loop, soon: lws's asynchronous kill is one of its own
    /// timers, which on libev run after socket activity — the wake-up pipe is some.
    func killAsync(_ wsi: OpaquePointer) {
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, clws_kill_async())
        if evLoop != nil, let context { lws_cancel_service(context) }
    }

    func timersDue() {
        wakeupDeadline = nil
        for id in timers.popDue(now: LoopClock.monotonicMs()) {
            timerActions.removeValue(forKey: id)?()
        }
        rearmWakeup()
        // lws runs ripe timers at the start of lws_service, then polls — possibly for
        // a long time — before returning: the timers' work must not wait for that.
        endTurn()
    }
}

/// lws timer callback. It gets only the sul pointer, and there is one armed
/// sul per process, so it reaches the loop through ``ServiceLoop/current``.
private func serviceLoopWakeup(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    ServiceLoop.current?.timersDue()
}

/// The same on libev (see `ServiceLoop.evWakeup`).
private func evWakeupFired(_ loop: OpaquePointer?, _ timer: UnsafeMutablePointer<ev_timer>?, _ events: Int32) {
    ServiceLoop.current?.timersDue()
}

/// See `ServiceLoop.evTick`.
private func evTickFired(_ loop: OpaquePointer?, _ timer: UnsafeMutablePointer<ev_timer>?, _ events: Int32) {
    if let context = ServiceLoop.current?.context { lws_cancel_service(context) }
}

extension ServiceLoop {
    /// The loop serving this process. lws sul callbacks carry no user pointer,
    /// and there is exactly one loop per process, so a global is the honest shape.
    nonisolated(unsafe) static var current: ServiceLoop?

    /// Recovers the loop from a wsi inside a C callback.
    static func from(_ wsi: OpaquePointer?) -> ServiceLoop? {
        guard let wsi, let user = lws_context_user(lws_get_context(wsi)) else { return nil }
        return Unmanaged<ServiceLoop>.fromOpaque(user).takeUnretainedValue()
    }
}
