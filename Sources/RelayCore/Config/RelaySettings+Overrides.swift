import HTTPModel
import RelayJSON

extension RelaySettings {
    /// Applies flag/environment values. The `8x8-*` options describe the
    /// provider and handover settings named "default".
    mutating func apply(overrides o: [String: String]) throws(ConfigError) {
        if let p = o["port"] {
            guard let n = Int(p), (1...65535).contains(n) else { throw ConfigError(key: "port", problem: "must be a port number 1–65535, got \"\(p)\"") }
            port = n
        }
        if let b = o["bind"], !b.isEmpty { bindAddress = b }
        if let u = o["public-url"] { core.publicURL = try Self.url(u, key: "public-url") }
        if let w = o["web-root"], !w.isEmpty { webRoot = w }
        if let l = o["log-level"] { logLevel = l }
        if let s = o["bot-script"], !s.isEmpty { botScriptPath = s }
        if let u = o["bot-url"] { core.bot = .external(ExternalBotSettings(url: try Self.url(u, key: "bot-url"))) }
        if let s = o["copilot-secret"] {
            core.copilotSecret = try Self.secret(s, key: "copilot-secret")
            hasConfiguredSecret = true
        }
        if let d = o["data-dir"], !d.isEmpty { dataDir = d }
        if let k = o["knowledge-base"], !k.isEmpty { knowledgeBasePath = k }
        if let s = o["store"] { store.backend = try Self.storeBackend(s, key: "store") }
        if let u = o["redis-url"] { store.redis.url = try Self.redisURL(u, key: "redis-url") }
        if let p = o["redis-prefix"] { store.redis.prefix = try Self.redisPrefix(p, key: "redis-prefix") }
        applyTLS(overrides: o)
        try applyAllowedOrigins(overrides: o)
        try applyOps(overrides: o)

        let providerKeys = ["8x8-base-url", "8x8-api-key", "8x8-tenant"]
        if providerKeys.contains(where: { o[$0] != nil }) {
            let existing = core.providers["default"]
            guard let key = o["8x8-api-key"] ?? existing?.apiKey, !key.isEmpty else {
                throw ConfigError(key: "8x8-api-key", problem: "is required when an 8x8 provider is configured (flag --8x8-api-key or RELAY_8X8_API_KEY)")
            }
            let base = try o["8x8-base-url"].map { (u) throws(ConfigError) in try Self.url(u, key: "8x8-base-url") }
                ?? existing?.baseURL ?? HTTPURL("https://api.8x8.com")!
            let tenant = o["8x8-tenant"].flatMap { $0.isEmpty ? nil : $0 } ?? existing?.tenant
            core.providers["default"] = GatewayProvider(name: "default", baseURL: base, apiKey: key, tenant: tenant,
                                                        timeoutMs: existing?.timeoutMs ?? 10_000,
                                                        webhookSignatures: existing?.webhookSignatures ?? WebhookSignaturePolicy())
        }
        try applyWebhookSignaturesOverride(o)
        let handoverKeys = ["8x8-channel-id", "8x8-queue-id", "8x8-properties"]
        if handoverKeys.contains(where: { o[$0] != nil }) {
            let existing = core.handovers["default"]
            guard let channel = o["8x8-channel-id"] ?? existing?.channelID, !channel.isEmpty else {
                throw ConfigError(key: "8x8-channel-id", problem: "is required (the Chat API channel ID from 8x8 Admin Console → Channels)")
            }
            guard let queue = o["8x8-queue-id"] ?? existing?.queueID, !queue.isEmpty else {
                throw ConfigError(key: "8x8-queue-id", problem: "is required (the Queue ID shown next to the Chat API channel)")
            }
            var properties = existing?.properties ?? .object([:])
            if let text = o["8x8-properties"] {
                let parsed: JSONValue
                do { parsed = try JSONValue.parse(text) } catch {
                    throw ConfigError(key: "8x8-properties", problem: "is not valid JSON (\(error))")
                }
                guard case .object = parsed else { throw ConfigError(key: "8x8-properties", problem: "must be a JSON object") }
                properties = parsed
            }
            core.handovers["default"] = HandoverSettings(provider: existing?.provider ?? "default", channelID: channel,
                                                         queueID: queue, properties: properties)
        }
    }

    /// Cross-field checks once every source is applied.
    func validate() throws(ConfigError) {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(logLevel) else {
            throw ConfigError(key: "logLevel", problem: "must be one of \(levels.joined(separator: ", ")), got \"\(logLevel)\"")
        }
        try validateTLS()
        try validateStore()
        guard !core.providers.isEmpty else { return }  // simulator mode fills in its own
        if core.handovers.isEmpty {
            throw ConfigError(key: "8x8-channel-id", problem: "is required: an 8x8 provider is configured but no handover settings (set --8x8-channel-id and --8x8-queue-id, or handovers.default in the config file)")
        }
        guard let base = core.handovers[core.defaultHandover] else {
            throw ConfigError(key: "defaultHandover", problem: "names \"\(core.defaultHandover)\", but no such entry exists under handovers (or set --8x8-channel-id and --8x8-queue-id)")
        }
        for (name, handover) in core.handovers.sorted(by: { $0.key < $1.key }) where core.providers[handover.provider] == nil {
            throw ConfigError(key: "handovers.\(name).provider", problem: "names \"\(handover.provider)\", which is not under providers")
        }
        _ = base
    }
}
