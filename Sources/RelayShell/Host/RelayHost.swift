import HTTPModel
import Logging
import RelayCore
import RelayJSON

/// Hosts the core on the service loop: translates socket events into
/// ``RelayEngine`` inputs and executes the effects it returns.
public final class RelayHost: WebSocketEndpoint, HTTPHandler {
    public let subprotocol = "handover.chat.v1"
    public let path = "/ws/chat"
    private let loop: ServiceLoop
    var engine: RelayEngine
    private let logger: Logger
    private let info: JSONValue

    /// - Parameter info: the body of `GET /api/info` (what the pages need to know).
    public init(loop: ServiceLoop, engine: RelayEngine, logger: Logger, info: JSONValue) {
        self.loop = loop
        self.engine = engine
        self.logger = logger
        self.info = info
        scheduleSweep()
    }

    /// Forgets idle sessions once a minute.
    private func scheduleSweep() {
        loop.schedule(afterMs: 60_000) { [unowned self] in
            self.execute(self.engine.sweepIdleSessions(now: LoopClock.wallMs()))
            self.scheduleSweep()
        }
    }

    // MARK: WebSocketEndpoint

    public func opened(_ connection: ConnectionID) { engine.chatConnected(connection) }

    public func received(_ connection: ConnectionID, text: String) {
        execute(engine.chatFrame(connection, text: text, now: LoopClock.wallMs()))
    }

    public func closed(_ connection: ConnectionID) { engine.chatDisconnected(connection) }

    // MARK: HTTPHandler

    public func handle(_ request: HTTPRequest) -> HTTPResponse? {
        switch (request.method, request.path) {
        case ("POST", "/webhooks/8x8"):
            let (response, effects) = engine.webhook(request, now: LoopClock.wallMs())
            execute(effects)
            return response
        case (_, "/webhooks/8x8"):
            return .problem(405, code: "method_not_allowed", message: "use POST")
        case ("GET", "/copilot/"), ("GET", "/copilot/index.html"):
            // The page is static, but only served to a link whose token opens this session.
            return engine.copilotPageRefusal(query: request.query, now: LoopClock.wallMs())
        case (_, let path) where path.hasPrefix("/api/sessions/"):
            guard let (response, effects) = engine.copilotTilesAPI(request, now: LoopClock.wallMs()) else { return nil }
            execute(effects)
            return response
        case ("GET", "/healthz"):
            return .json(200, ["status": "ok"])
        case ("GET", "/api/info"):
            return .json(200, info)
        default:
            return nil
        }
    }

    /// The `handover.copilot.v1` endpoint, sharing this host's engine.
    public private(set) lazy var copilot = CopilotEndpoint(host: self)

    // MARK: Effects

    /// Carries out the core's effects in order. Completions and timers feed
    /// their outcome back into the engine, which may produce more effects.
    func execute(_ effects: [RelayEffect]) {
        for effect in effects {
            switch effect {
            case .send(let connection, let text):
                loop.send(connection, text)
            case .close(let connection, let code, let reason):
                loop.close(connection, code: code, reason: reason)
            case .call(let id, let request):
                logger.debug("outbound call", metadata: ["call": "\(id)", "request": "\(request.logDescription)"])
                loop.call(request) { [unowned self] result in
                    self.execute(self.engine.callCompleted(id, result: result, now: LoopClock.wallMs()))
                }
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
