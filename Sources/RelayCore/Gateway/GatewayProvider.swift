import HTTPModel
import RelayJSON

/// Connection settings of one 8x8 Chat Gateway ("handover provider").
public struct GatewayProvider: Equatable, Sendable {
    public var name: String
    /// e.g. `https://api.8x8.com`; every call goes to `baseURL + /chat-gateway/v1/…`.
    public var baseURL: HTTPURL
    /// Sent as `x-api-key`. Never logged.
    public var apiKey: String
    /// Sent as `X-8x8-Tenant` when set (organisations with several tenants).
    public var tenant: String?
    /// Per-call deadline.
    public var timeoutMs: Int
    /// How this provider's webhooks are authenticated (signed by default).
    public var webhookSignatures: WebhookSignaturePolicy

    public init(name: String, baseURL: HTTPURL, apiKey: String, tenant: String? = nil, timeoutMs: Int = 10_000,
                webhookSignatures: WebhookSignaturePolicy = WebhookSignaturePolicy()) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.tenant = tenant
        self.timeoutMs = timeoutMs
        self.webhookSignatures = webhookSignatures
    }
}

/// Where and how a handover lands in 8x8: channel, queue and custom properties.
public struct HandoverSettings: Equatable, Sendable {
    public var provider: String
    public var channelID: String
    public var queueID: String
    /// Deep-merged into the create-conversation body (objects merge, arrays append).
    public var properties: JSONValue

    public init(provider: String, channelID: String, queueID: String, properties: JSONValue = .object([:])) {
        self.provider = provider
        self.channelID = channelID
        self.queueID = queueID
        self.properties = properties
    }
}

/// What a bot (or the user) asks for when requesting a human; unset fields
/// fall back to the configured default handover settings.
public struct HandoverRequest: Equatable, Sendable {
    public var settingsName: String?
    public var provider: String?
    public var channelID: String?
    public var queueID: String?
    public var properties: JSONValue?

    public init(settingsName: String? = nil, provider: String? = nil, channelID: String? = nil, queueID: String? = nil,
                properties: JSONValue? = nil) {
        self.settingsName = settingsName
        self.provider = provider
        self.channelID = channelID
        self.queueID = queueID
        self.properties = properties
    }

    /// The settings this request resolves to on top of `base`.
    public func resolved(on base: HandoverSettings) -> HandoverSettings {
        var settings = base
        if let provider { settings.provider = provider }
        if let channelID { settings.channelID = channelID }
        if let queueID { settings.queueID = queueID }
        if let properties { settings.properties = settings.properties.deepMerged(with: properties) }
        return settings
    }
}
