import HTTPModel
import RelayJSON

/// The whole configuration of a relay process: the core's settings plus what
/// only the shell needs (port, web root, limits). Built from a config file,
/// then environment variables, then flags — later sources win.
public struct RelaySettings: Equatable, Sendable {
    public var port = 8080
    public var bindAddress: String?
    public var webRoot = "web"
    /// Where the relay keeps what must survive restarts (the generated token secret).
    public var dataDir = ".data"
    /// Markdown knowledge base folder and next-best-action rules file for the copilot (the executable reads them).
    public var knowledgeBasePath: String?
    public var copilotRulesPath: String?
    /// True when a token secret was configured (otherwise one is generated and kept in `dataDir`).
    public var hasConfiguredSecret = false
    /// Problems with how settings are kept (e.g. a config file with secrets readable by others), said at start.
    public var fileWarnings: [String] = []
    /// On SIGTERM: how long to wait for clients to leave and outbound calls to finish.
    public var shutdownGraceMs = 10_000
    /// What one client may ask of the relay: sizes, rates, connections, timeouts.
    public var limits = ConnectionLimits()
    public var logLevel = "info"
    /// A rule-bot script file to load (the executable reads it).
    public var botScriptPath: String?
    public var core = RelayCoreConfig()
    /// The durable event log: backend and durability.
    public var store = StoreSettings()
    /// How long finished sessions' events are kept.
    public var retention = RetentionSettings()
    /// Integrator streams and HTTP subscriptions.
    public var stream = StreamSettings()
    /// HTTPS/WSS on the relay's port and the trust store of outbound HTTPS calls.
    public var tls = TLSSettings()
    /// Canonical origins allowed to open the browser protocols; empty allows any.
    public var allowedOrigins: [String] = []
    /// Log format and `/metrics` access.
    public var ops = OpsSettings()
    /// True when no 8x8 provider is configured: the embedded simulator stands in.
    public var usesSimulator: Bool { core.providers.isEmpty }

    public init() {}

    /// The single-provider options, by flag name; each is also `RELAY_<UPPER_SNAKE>`.
    public static let overrideKeys = [
        "port", "bind", "public-url", "web-root", "data-dir", "log-level", "bot-script", "bot-url", "copilot-secret",
        "knowledge-base", "store", "redis-url", "redis-prefix", "tls-cert", "tls-key", "tls-ca-bundle", "allowed-origins", "log-format", "metrics-token",
        "8x8-base-url", "8x8-api-key", "8x8-tenant", "8x8-channel-id", "8x8-queue-id", "8x8-properties",
        "8x8-webhook-signatures",
    ]

    /// `8x8-base-url` → `RELAY_8X8_BASE_URL`.
    public static func environmentName(for key: String) -> String {
        "RELAY_" + key.uppercased().replacingAll("-", with: "_")
    }

    /// Builds settings from an optional config file and string overrides
    /// (flags and environment already merged by the caller, flags winning).
    public static func load(file: JSONValue?, overrides: [String: String]) throws(ConfigError) -> RelaySettings {
        var settings = RelaySettings()
        if let file { try settings.apply(file: file) }
        try settings.apply(overrides: overrides)
        try settings.validate()
        // Unless given, agents reach the relay on this machine at its port.
        if file?["publicUrl"] == nil, overrides["public-url"] == nil {
            settings.core.publicURL = HTTPURL(secure: settings.tls.servesTLS, host: "localhost", port: settings.port, path: "/")
        }
        return settings
    }

    static let fileKeys: Set<String> = [
        "port", "bind", "publicUrl", "webRoot", "logLevel", "maxMessageBytes", "providers", "handovers",
        "defaultHandover", "bot", "retry", "copilot", "limits", "dataDir", "store", "stream", "shutdownGraceSeconds",
        "tls", "allowedOrigins", "logFormat", "metrics",
    ]

    mutating func apply(file json: JSONValue) throws(ConfigError) {
        guard case .object = json else { throw ConfigError(key: "(file)", problem: "must be a JSON object") }
        let r = ConfigReader(json: json, path: "")
        try r.reject(unknownKeysBesides: Self.fileKeys)
        port = try r.int("port", in: 1...65535) ?? port
        bindAddress = try r.nonEmptyString("bind") ?? bindAddress
        if let url = try r.string("publicUrl") { core.publicURL = try Self.url(url, key: "publicUrl") }
        webRoot = try r.nonEmptyString("webRoot") ?? webRoot
        dataDir = try r.nonEmptyString("dataDir") ?? dataDir
        logLevel = try r.string("logLevel") ?? logLevel
        // Kept at the top level for configs written before `limits.maxMessageBytes`.
        limits.maxMessageBytes = try r.int("maxMessageBytes", in: 1024...(16 << 20)) ?? limits.maxMessageBytes
        if let grace = try r.int("shutdownGraceSeconds", in: 0...3600) { shutdownGraceMs = grace * 1000 }
        for (name, value) in try r.object("providers") ?? [:] {
            core.providers[name] = try Self.provider(name: name, json: value)
        }
        for (name, value) in try r.object("handovers") ?? [:] {
            core.handovers[name] = try Self.handover(name: name, json: value)
        }
        core.defaultHandover = try r.nonEmptyString("defaultHandover") ?? core.defaultHandover
        // A section of the wrong type is an error, not silently the defaults.
        if let bot = try r.object("bot") { try applyBot(.object(bot)) }
        if let retry = try r.object("retry").map(JSONValue.object) {
            let rr = ConfigReader(json: retry, path: "retry.")
            try rr.reject(unknownKeysBesides: ["maxAttempts", "baseDelayMs", "maxDelayMs", "circuitBreakerFailures", "circuitBreakerOpenSeconds",
                                                "circuitBreakerMinFailureMs"])
            core.retry.maxAttempts = try rr.int("maxAttempts", in: 1...100) ?? core.retry.maxAttempts
            core.retry.baseDelayMs = try rr.int("baseDelayMs", in: 1...600_000) ?? core.retry.baseDelayMs
            core.retry.maxDelayMs = try rr.int("maxDelayMs", in: 1...3_600_000) ?? core.retry.maxDelayMs
            core.retry.breaker.failureThreshold = try rr.int("circuitBreakerFailures", in: 0...10_000) ?? core.retry.breaker.failureThreshold
            if let open = try rr.int("circuitBreakerOpenSeconds", in: 1...3600) { core.retry.breaker.openMs = open * 1000 }
            core.retry.breaker.minimumFailureSpanMs = try rr.int("circuitBreakerMinFailureMs", in: 0...600_000) ?? core.retry.breaker.minimumFailureSpanMs
        }
        if let copilot = try r.object("copilot").map(JSONValue.object) { try applyCopilot(copilot) }
        if let store = try r.object("store").map(JSONValue.object) { try applyStore(store) }
        if let stream = try r.object("stream").map(JSONValue.object) { try applyStream(stream) }
        if let tls = try r.object("tls").map(JSONValue.object) { try applyTLS(tls) }
        try applyAllowedOrigins(file: json)
        try applyOps(file: r)
        if let limits = try r.object("limits").map(JSONValue.object) { try applyLimits(limits) }
    }

    private mutating func applyBot(_ json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "bot.")
        try r.reject(unknownKeysBesides: ["type", "script", "url", "headers", "timeoutMs"])
        switch try r.string("type") ?? "rules" {
        case "rules":
            botScriptPath = try r.nonEmptyString("script")
        case "external":
            guard let url = try r.string("url") else { throw ConfigError(key: "bot.url", problem: "is required when bot.type is \"external\"") }
            core.bot = .external(ExternalBotSettings(url: try Self.url(url, key: "bot.url"), headers: try r.stringMap("headers") ?? [:],
                                                     timeoutMs: try r.int("timeoutMs", in: 100...120_000) ?? 10_000))
        case let other:
            throw ConfigError(key: "bot.type", problem: "must be \"rules\" or \"external\", got \"\(other)\"")
        }
    }

    static func provider(name: String, json: JSONValue) throws(ConfigError) -> GatewayProvider {
        let r = ConfigReader(json: json, path: "providers.\(name).")
        try r.reject(unknownKeysBesides: Set(["baseUrl", "apiKey", "tenant", "timeoutMs"]).union(webhookSignatureKeys))
        guard let key = try r.nonEmptyString("apiKey") else { throw ConfigError(key: r.key("apiKey"), problem: "is required") }
        let base = try r.string("baseUrl") ?? "https://api.8x8.com"
        return GatewayProvider(name: name, baseURL: try url(base, key: r.key("baseUrl")), apiKey: key,
                               tenant: try r.nonEmptyString("tenant"), timeoutMs: try r.int("timeoutMs", in: 100...120_000) ?? 10_000,
                               webhookSignatures: try webhookSignatures(r))
    }

    static func handover(name: String, json: JSONValue) throws(ConfigError) -> HandoverSettings {
        let r = ConfigReader(json: json, path: "handovers.\(name).")
        try r.reject(unknownKeysBesides: ["provider", "channelId", "queueId", "properties"])
        guard let channel = try r.nonEmptyString("channelId") else { throw ConfigError(key: r.key("channelId"), problem: "is required") }
        guard let queue = try r.nonEmptyString("queueId") else { throw ConfigError(key: r.key("queueId"), problem: "is required") }
        let properties = json["properties"] ?? .object([:])
        guard case .object = properties else { throw ConfigError(key: r.key("properties"), problem: "must be a JSON object") }
        return HandoverSettings(provider: try r.nonEmptyString("provider") ?? "default", channelID: channel, queueID: queue,
                                properties: properties)
    }

    static func url(_ text: String, key: String) throws(ConfigError) -> HTTPURL {
        guard let url = HTTPURL(text) else { throw ConfigError(key: key, problem: "must be an http:// or https:// URL, got \"\(text)\"") }
        return url
    }

    static func secret(_ text: String, key: String) throws(ConfigError) -> [UInt8] {
        guard text.utf8.count >= 16 else { throw ConfigError(key: key, problem: "must be at least 16 characters") }
        return Array(text.utf8)
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
