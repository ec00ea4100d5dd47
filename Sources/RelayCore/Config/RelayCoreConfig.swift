import HTTPModel

/// Everything the core needs to decide; no ports, paths or sockets.
public struct RelayCoreConfig: Equatable, Sendable {
    public var providers: [String: GatewayProvider]
    public var handovers: [String: HandoverSettings]
    public var defaultHandover: String
    public var bot: BotConfiguration
    /// How agents and 8x8 reach the relay (copilot links).
    public var publicURL: HTTPURL
    /// HMAC key of copilot links. Never logged.
    public var copilotSecret: [UInt8]
    public var copilotTokenTTLSeconds: Int
    public var retry: RetryPolicy
    public var limits: ChatLimits
    /// How many webhook event ids are remembered for de-duplication.
    public var webhookDedupeCapacity: Int
    /// A session with no connection, no handover in progress and no event
    /// for this long is forgotten (a later resume gets `unknown_session`).
    public var sessionIdleTTLSeconds: Int = 24 * 3600
    /// The agent copilot: layout, analyzers, knowledge base, rules.
    public var copilot = CopilotConfig()

    public init(providers: [String: GatewayProvider] = [:], handovers: [String: HandoverSettings] = [:],
                defaultHandover: String = "default", bot: BotConfiguration = .rules(.default),
                publicURL: HTTPURL = HTTPURL("http://localhost:8080")!, copilotSecret: [UInt8] = Array("dev-secret".utf8),
                copilotTokenTTLSeconds: Int = 8 * 3600, retry: RetryPolicy = RetryPolicy(), limits: ChatLimits = ChatLimits(),
                webhookDedupeCapacity: Int = 100_000) {
        self.providers = providers
        self.handovers = handovers
        self.defaultHandover = defaultHandover
        self.bot = bot
        self.publicURL = publicURL
        self.copilotSecret = copilotSecret
        self.copilotTokenTTLSeconds = copilotTokenTTLSeconds
        self.retry = retry
        self.limits = limits
        self.webhookDedupeCapacity = webhookDedupeCapacity
    }
}
