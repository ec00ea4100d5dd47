import HTTPModel
import Logging
import RelayCore
import RelayJSON
import RelayStore

/// Hosts the core on the service loop: translates socket events into
/// ``RelayEngine`` inputs, makes the engine's changes durable in the
/// ``EventStore`` and then executes the effects it returned.
public final class RelayHost: WebSocketEndpoint, DeferringHTTPHandler {
    public let subprotocol = "handover.chat.v1"
    public let path = "/ws/chat"
    let loop: ServiceLoop
    var engine: RelayEngine
    /// The durable log and session snapshots; read by the stream and the read API.
    let store: any EventStore
    /// `handover.stream.v1` subscribers.
    var hub: StreamHub
    let retention: RetentionSettings
    let logger: Logger
    private let info: JSONValue
    /// Effects waiting for the changes they reflect to be committed (see ``flush()``).
    var held: [RelayEffect] = []
    /// Changes taken from the engine whose commit failed; retried first, as they were.
    var uncommitted = StoreChanges()
    /// The id of that batch (``StoreCommit/id``): the same for every attempt.
    var uncommittedID: String?
    /// Committed events not yet given to stream subscribers (see ``deliverCommitted()``).
    var undelivered: [StoredEvent] = []
    var commitRetryScheduled = false
    /// Integrators' HTTP event subscriptions.
    var webhookFeeds: [WebhookFeed] = []
    var webhookFeedSettings: [WebhookSubscriptionSettings] = []
    /// Set when this relay is one node of several on a shared store (RelayHost+Cluster.swift).
    var cluster: ClusterNode?
    /// 8x8 webhook answers waiting for the commit of what they acknowledge.
    var answersAwaitingCommit: [(response: HTTPResponse, respond: (HTTPResponse) -> Void)] = []
    /// Whether any configured provider checks webhook signatures (the config is fixed for the process).
    private lazy var anyProviderVerifiesWebhooks = engine.config.providers.values.contains { $0.webhookSignatures.mode != .off }
    /// 8x8 webhook signatures: keys, parked webhooks, counts.
    private(set) lazy var webhookVerification = WebhookVerification(loop: loop, logger: logger)
    /// Ops surface (RelayHost+Ops.swift): metrics, and what `/readyz` reports.
    let metrics = HostMetrics()
    var restored = false
    var lastCommitFailure: String?

    /// - Parameter info: the body of `GET /api/info` (what the pages need to know).
    public init(loop: ServiceLoop, engine: RelayEngine, store: any EventStore, stream: StreamHub, retention: RetentionSettings,
                logger: Logger, info: JSONValue) {
        self.loop = loop
        self.engine = engine
        self.store = store
        self.hub = stream
        self.retention = retention
        self.logger = logger
        self.info = info
        loop.onTurnEnd { [unowned self] in self.flush() }
        scheduleSweep()
    }

    /// Forgets idle sessions and applies log retention once a minute.
    private func scheduleSweep() {
        loop.schedule(afterMs: 60_000) { [unowned self] in
            self.execute(self.engine.sweepIdleSessions(now: LoopClock.wallMs()))
            self.flush()  // forgotten sessions lose their snapshots first, so their events become prunable
            self.applyRetention(now: LoopClock.wallMs())
            self.scheduleSweep()
        }
    }

    // MARK: WebSocketEndpoint

    public func opened(_ connection: ConnectionID) { engine.chatConnected(connection) }

    public func received(_ connection: ConnectionID, text: String) {
        if routeFrame(connection, text: text, channel: .chat) { return }
        execute(engine.chatFrame(connection, text: text, now: LoopClock.wallMs()))
    }

    public func closed(_ connection: ConnectionID) {
        _ = routeClosed(connection)
        engine.chatDisconnected(connection)
    }

    /// New sessions refused at `limits.maxSessions`.
    public var sessionsRefused: Int { engine.sessionsRefused }

    /// A resuming connection wrote its page of replay: queue the next one.
    public func drained(_ connection: ConnectionID) {
        if routeDrained(connection) { return }
        execute(engine.chatDrained(connection))
    }

    // MARK: HTTPHandler

    /// `POST /webhooks/8x8`. 8x8 stops retrying once it gets a 2xx, so the
    /// answer waits for the commit of the event's effects (a crash could
    /// otherwise lose it); the webhooks of one service turn share that commit.
    public func handle(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        guard request.method == "POST", request.path == "/webhooks/8x8" else {
            // Another node's session: its owner answers (RelayHost+Cluster.swift).
            guard cluster != nil, let sid = sessionOf(request) else { return false }
            return routeRequest(request, session: sid, respond: respond)
        }
        let respond = countingAnswers(to: request, respond)
        // Finding the provider parses the body for its conversation: not worth it when no provider verifies.
        guard anyProviderVerifiesWebhooks else {
            webhookVerification.counts.count(.unchecked)
            acceptWebhook(request, respond: respond)
            return true
        }
        let sessionProvider = WebhookAuthenticator.conversationID(of: request).flatMap { engine.providerName(forConversation: $0) }
        let provider = WebhookAuthenticator.provider(for: request, sessionProvider: sessionProvider, config: engine.config)
        webhookVerification.admit(request, provider: provider, respond: respond) { [unowned self] in self.acceptWebhook($0, respond: $1) }
        return true
    }

    /// An authentic webhook: the engine applies it (or the node owning its session does).
    func acceptWebhook(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        if cluster != nil, let sid = sessionOf(request) {
            if routeRequest(request, session: sid, respond: respond) { return }
            if isDuplicateInCluster(request, session: sid) { return respond(.json(200, ["status": "duplicate"])) }
        }
        let (response, effects) = engine.webhook(request, now: LoopClock.wallMs())
        execute(effects)
        if hasUncommittedWork {
            answersAwaitingCommit.append((response, respond))
        } else {
            respond(response)
        }
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse? {
        switch (request.method, request.path) {
        case (_, "/webhooks/8x8"):
            return .problem(405, code: "method_not_allowed", message: "use POST")
        case ("GET", "/copilot/"), ("GET", "/copilot/index.html"):
            // The page is static, but only served to a link whose token opens this session.
            return engine.copilotPageRefusal(query: request.query, now: LoopClock.wallMs())
        case (_, let path) where path.hasPrefix("/api/sessions/") && path.contains("/copilot/"):
            guard let (response, effects) = engine.copilotTilesAPI(request, now: LoopClock.wallMs()) else { return nil }
            execute(effects)
            return response
        case (_, let path) where path == "/api/sessions" || path.hasPrefix("/api/sessions/") || path == "/api/events":
            return engine.readAPI(request, log: store, now: LoopClock.wallMs())
        case ("GET", "/healthz"):
            return .json(200, ["status": "ok"])
        case ("GET", "/readyz"):
            return readiness.response
        case ("GET", "/api/info"):
            return .json(200, info)
        default:
            return nil
        }
    }

    /// The `handover.copilot.v1` endpoint, sharing this host's engine.
    public private(set) lazy var copilot = CopilotEndpoint(host: self)

    /// The `handover.stream.v1` endpoint, reading this host's store.
    public private(set) lazy var stream = StreamEndpoint(host: self)

    // MARK: Effects

    /// Carries out the core's effects, in order, once the changes they
    /// reflect are durable: while the engine holds uncommitted changes they
    /// wait for the end of the service turn (``flush()``).
    func execute(_ effects: [RelayEffect]) {
        guard !hasUncommittedWork else {
            held += effects
            return
        }
        perform(effects)
    }

    /// Changes not yet committed, or effects still waiting for a commit: new
    /// effects and answers must wait too, to stay behind them.
    var hasUncommittedWork: Bool { engine.hasChanges || !uncommitted.isEmpty || !held.isEmpty }

    /// Carries out effects now. Completions and timers feed their outcome
    /// back into the engine (through ``execute(_:)``).
    func perform(_ effects: [RelayEffect]) {
        for effect in effects {
            if let connection = effect.connection, RemoteConnections.isRemote(connection) {
                performRemote(effect)
                continue
            }
            switch effect {
            case .send(let connection, let text):
                loop.send(connection, text)
            case .close(let connection, let code, let reason):
                loop.close(connection, code: code, reason: reason)
            case .call(let id, let request):
                startCall(id, request)
            case .schedule(let timer, let afterMs):
                loop.schedule(afterMs: afterMs) { [unowned self] in
                    self.execute(self.engine.timerFired(timer, now: LoopClock.wallMs()))
                }
            case .log(let record):
                logger.log(level: record.level.swiftLogLevel, "\(record.message)",
                           metadata: record.metadata.mapValues { Logger.MetadataValue.string($0) })
            }
        }
    }
}

extension LogRecord.Level {
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
