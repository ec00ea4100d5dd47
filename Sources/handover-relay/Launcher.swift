import ArgumentParser
import ChatGatewaySimulator
import Foundation
import HTTPModel
import Logging
import RelayCore
import RelayCrypto
import RelayJSON
import RelayShell
import RelayStore
import RedisStore
import SQLiteStore

/// A reason start-up cannot go on. Printed as "Error: <message>" without the
/// usage text (the flags were fine; a value or the environment was not).
struct StartupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Turns options into a running relay: settings, logging, the service loop
/// with its handlers, the simulator when no 8x8 provider is configured, and
/// signal handling. Everything after start-up happens on the loop.
struct Launcher {
    let options: RelayOptions
    let forceSimulator: Bool

    /// The simulator's fixed credentials: it is a local stand-in, not a secret.
    static let simulatorAPIKey = "simulator-api-key"
    static let simulatorTenant = "demo-tenant"

    /// Settings from every source, with the token secret resolved (shared with `token`).
    func resolvedSettings(createSecret: Bool = true) throws -> RelaySettings {
        do {
            return try loadSettings(createSecret: createSecret)
        } catch let error as ConfigError {
            throw StartupError(error.description)
        }
    }

    /// Settings exactly as start-up uses them, with every file they name read
    /// and checked; `--check-config` stops here. `createSecret`: generate the
    /// token secret file when none exists (start-up) or leave it (a check).
    func prepare(createSecret: Bool) throws -> (settings: RelaySettings, simulator: Bool) {
        var settings = try resolvedSettings(createSecret: createSecret)
        try CopilotResources.load(into: &settings)
        let simulatorMode = forceSimulator || settings.usesSimulator
        if simulatorMode { configureSimulator(&settings) }
        guard FileManager.default.fileExists(atPath: settings.webRoot + "/index.html") else {
            throw StartupError("web root '\(settings.webRoot)' has no index.html (run from the repository root or pass --web-root)")
        }
        return (settings, simulatorMode)
    }

    func run() throws {
        let (settings, simulatorMode) = try prepare(createSecret: true)
        let logger = Observability.bootstrapLogging(level: settings.logLevel, format: settings.ops.logFormat)
        let metrics = Observability.bootstrapMetrics()
        for warning in settings.webhookSignatureWarnings { logger.critical("\(warning)") }
        for warning in settings.fileWarnings { logger.warning("\(warning)") }
        if settings.store.backend == .redis, !settings.hasConfiguredSecret {
            let warning = "store.backend redis without a configured copilot.tokenSecret: copilot links and integrator tokens "
                + "signed by this node will not open on the other nodes (set the same --copilot-secret on every node)"
            logger.warning("\(warning)")
        }

        var loopOptions = ServiceLoop.Options(port: settings.port, bindAddress: settings.bindAddress, limits: settings.limits)
        loopOptions.tls = settings.tls
        loopOptions.originPolicy = settings.originPolicy
        loopOptions.shutdownGraceMs = settings.shutdownGraceMs
        // An expert switch, not a setting: lws's poll() loop unless epoll (libev) is asked for.
        if let name = ProcessInfo.processInfo.environment["RELAY_EVENT_LOOP"] {
            guard let eventLoop = ServiceLoop.EventLoop(rawValue: name) else {
                throw ValidationError("RELAY_EVENT_LOOP must be one of: \(ServiceLoop.EventLoop.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            loopOptions.eventLoop = eventLoop
        }
        let loop = ServiceLoop(options: loopOptions, logger: logger)
        let info: JSONValue = [
            "version": .string(HandoverRelayCommand.version), "simulator": .bool(simulatorMode),
            "agentConsoleUrl": simulatorMode ? "/agent-console/" : .null,
        ]
        let store = try openStore(settings, logger: logger)
        var streamLimits = StreamHub.Limits()
        streamLimits.maxQueuedBytes = settings.stream.maxQueuedBytes
        let relay = RelayHost(loop: loop, engine: RelayEngine(config: settings.core), store: store,
                              stream: StreamHub(secret: settings.core.copilotSecret, limits: streamLimits),
                              retention: settings.retention, logger: logger, info: info)
        relay.exportCounts("relay_limit_refusals_total", label: "limit") { [unowned relay] in
            loop.limitCounters.byLimit.merging(["sessions": relay.sessionsRefused]) { $1 }
        }
        relay.exportCounts("relay_webhook_verifications_total", label: "result") { [unowned relay] in
            Dictionary(uniqueKeysWithValues: relay.webhookVerificationCounts.byResult.map { ($0.key.rawValue, $0.value) })
        }
        loop.addEndpoint(relay)
        loop.addEndpoint(relay.copilot)
        loop.addEndpoint(relay.stream)
        loop.addHTTPHandler(MetricsEndpoint(host: relay, token: settings.ops.metricsToken, render: { metrics.emitToBuffer() }))
        loop.addHTTPHandler(relay)
        if simulatorMode {
            let simulator = SimulatorHost(loop: loop, settings: simulatorSettings(settings))
            loop.addEndpoint(simulator)
            loop.addHTTPHandler(simulator)
        }
        loop.addHTTPHandler(StaticFiles(root: settings.webRoot))
        do {
            try loop.start()
        } catch {
            throw StartupError("\(error)")
        }
        do {
            // After start: resending pending 8x8 calls needs the loop's client side.
            if let shared = store as? RedisStore {
                try relay.joinCluster(shared, nodeTimeoutMs: settings.store.redis.nodeTimeoutMs)
            } else {
                try relay.restoreFromStore()
            }
            try relay.startWebhookFeeds(settings.stream.webhooks)
        } catch {
            throw StartupError("cannot read the event store: \(error)")
        }
        Self.installSignalHandlers()
        printBanner(settings, simulator: simulatorMode)
        loop.run()
        relay.leaveCluster()
        logger.notice("stopped")
    }

    /// The durable event log: `<data-dir>/relay.sqlite3`, or memory when configured so.
    private func openStore(_ settings: RelaySettings, logger: Logger) throws -> any EventStore {
        switch settings.store.backend {
        case .sqlite: break
        case .memory:
            logger.notice("event store in memory: sessions will not survive a restart")
            return InMemoryStore()
        case .redis:
            return try openRedisStore(settings.store.redis, logger: logger)
        }
        do {
            try FileManager.default.createDirectory(atPath: settings.dataDir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError("cannot create data directory '\(settings.dataDir)': \(error.localizedDescription)")
        }
        let path = (settings.dataDir as NSString).appendingPathComponent(SQLiteStore.defaultFileName)
        do {
            let options = SQLiteStore.Options(synchronous: settings.store.synchronous == .full ? .full : .normal)
            return try SQLiteStore(path: path, options: options)
        } catch {
            throw StartupError("cannot open the event store '\(path)': \(error.message) (is another relay using this data directory?)")
        }
    }

    /// The shared store of a multi-node deployment, opened with a node id fresh for this
    /// process: a restarted relay is a new node, and its old sessions are taken over.
    private func openRedisStore(_ redis: RedisSettings, logger: Logger) throws -> RedisStore {
        let url: RedisURL
        do {
            url = try RedisURL(parsing: redis.url ?? "")
        } catch {
            throw StartupError("store.redis.url: \(error.message)")
        }
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        let node = "\(host)-\(StoreEpoch.random().prefix(8))"
        do {
            // Calls are synchronous on the service loop: a Redis that stops answering may hold
            // the loop for this long per call, so it is short (commands take well under 1 ms).
            let options = RedisStore.Options(prefix: redis.prefix, connectTimeoutMs: 2_000, commandTimeoutMs: 1_000, nodeID: node)
            let store = try RedisStore(url: url, options: options)
            logger.notice("event store on Redis", metadata: ["redis": "\(url)", "prefix": "\(redis.prefix)", "node": "\(node)",
                                                             "epoch": "\(store.epoch)"])
            return store
        } catch {
            throw StartupError("cannot open the Redis store: \(error.message)")
        }
    }

    private func loadSettings(createSecret: Bool) throws -> RelaySettings {
        var file: JSONValue?
        if let path = options.config {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(key: "config", problem: "cannot read file '\(path)'")
            }
            do { file = try JSONValue.parse(bytes: Array(data)) } catch {
                throw ConfigError(key: "config", problem: "file '\(path)' is not valid JSON (\(error))")
            }
        }
        var settings = try RelaySettings.load(file: file, overrides: options.overrides(environment: ProcessInfo.processInfo.environment))
        if let path = options.config, let file,
           let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int,
           let warning = ConfigFileSecrets.warning(path: path, mode: mode, keys: ConfigFileSecrets.keys(in: file)) {
            settings.fileWarnings.append(warning)
        }
        if let script = settings.botScriptPath {
            guard let data = FileManager.default.contents(atPath: script), let json = try? JSONValue.parse(bytes: Array(data)) else {
                throw ConfigError(key: "bot-script", problem: "cannot read '\(script)' as JSON")
            }
            settings.core.bot = .rules(try RuleBotScript.parse(json))
        }
        if !settings.hasConfiguredSecret {
            settings.core.copilotSecret = try createSecret ? SecretStore.loadOrCreate(dataDir: settings.dataDir)
                : SecretStore.loadExisting(dataDir: settings.dataDir) ?? []
        }
        return settings
    }

    /// Points the default handover at the embedded simulator.
    private func configureSimulator(_ settings: inout RelaySettings) {
        let base = Self.loopbackURL(settings, path: "/sim")
        settings.core.providers = ["default": GatewayProvider(name: "default", baseURL: base, apiKey: Self.simulatorAPIKey,
                                                              tenant: Self.simulatorTenant)]
        let properties = settings.core.handovers["default"]?.properties ?? .object([:])
        settings.core.handovers = ["default": HandoverSettings(provider: "default", channelID: "demo-channel", queueID: "support",
                                                               properties: properties)]
        settings.core.defaultHandover = "default"
    }

    private func simulatorSettings(_ settings: RelaySettings) -> SimulatorSettings {
        SimulatorSettings(apiKey: Self.simulatorAPIKey, tenant: Self.simulatorTenant, pathPrefix: "/sim",
                          webhookURL: Self.loopbackURL(settings, path: "/webhooks/8x8"), channels: ["demo-channel"],
                          tenantId: Self.simulatorTenant)
    }

    /// The relay's own port seen from this machine, for the embedded simulator
    /// and the relay calling each other: https when the port serves TLS (the
    /// certificate must then cover 127.0.0.1 and be trusted by the relay's
    /// outbound calls, e.g. through tls.caBundle).
    static func loopbackURL(_ settings: RelaySettings, path: String) -> HTTPURL {
        HTTPURL(secure: settings.tls.servesTLS, host: "127.0.0.1", port: settings.port, path: path)
    }

    static func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        let stop: @convention(c) (Int32) -> Void = { _ in ServiceLoop.stopCurrent() }
        signal(SIGINT, stop)
        signal(SIGTERM, stop)
    }

    private func printBanner(_ settings: RelaySettings, simulator: Bool) {
        let base = settings.core.publicURL.description.hasSuffix("/") ? String(settings.core.publicURL.description.dropLast())
            : settings.core.publicURL.description
        var lines = ["handover-relay \(HandoverRelayCommand.version) listening on port \(settings.port)",
                     "  Chat page:      \(base)/"]
        if simulator {
            lines.append("  Agent console:  \(base)/agent-console/   (embedded 8x8 simulator — not the real 8x8)")
        } else {
            let provider = settings.core.providers[settings.core.handovers[settings.core.defaultHandover]?.provider ?? ""]
            lines.append("  8x8 provider:   \(provider?.baseURL.description ?? "?")")
        }
        lines.append("  8x8 webhook:    \(base)/webhooks/8x8")
        lines.append("  Copilot:        \(base)/copilot/ (link per conversation; \(settings.core.copilot.knowledgeBase.count) knowledge articles)")
        print(lines.joined(separator: "\n"))
        fflush(nil)
    }
}
