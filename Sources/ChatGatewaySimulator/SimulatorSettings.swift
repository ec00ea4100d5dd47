import HTTPModel

/// A contact-center queue the simulator can route conversations to.
///
/// 8x8 routes a handover to a queue by id and reports the queue's display name
/// in `QUEUED` webhooks, so the simulator needs both to produce realistic events.
public struct SimulatedQueue: Sendable, Equatable, Hashable {
    /// The queue id a handover names in `assignment.id` (8x8 shows it as "Queue ID").
    public var id: String
    /// The human-readable name sent as `queueName` and shown on the agent console.
    public var name: String

    /// Creates a queue; both values are used verbatim on the wire.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// Two queues so transfers can be exercised out of the box.
    public static let defaults: [SimulatedQueue] = [
        SimulatedQueue(id: "support", name: "Support"),
        SimulatedQueue(id: "billing", name: "Billing"),
    ]
}

/// Everything the host configures about the simulated 8x8 tenant.
///
/// Kept as a plain value so the host can build it from command-line flags and
/// tests can tweak single fields (for example a short retry schedule).
public struct SimulatorSettings: Sendable, Equatable {
    /// Required value of the `x-api-key` header, as 8x8 requires an API key on every call.
    public var apiKey: String
    /// When set, the `X-8x8-Tenant` header must equal it (8x8 demands it for multi-tenant organisations).
    public var tenant: String?
    /// Path prefix all simulator routes live under (e.g. "/sim"), so it can share the relay's port.
    public var pathPrefix: String
    /// Where webhooks are POSTed: the relay's 8x8 webhook endpoint.
    public var webhookURL: HTTPURL
    /// Valid `channelId`s; 8x8 rejects a handover naming a channel that does not exist.
    public var channels: [String]
    /// Queues a conversation may be assigned to; the first is the default assignment.
    public var queues: [SimulatedQueue]
    /// Sent as `x-8x8-tenant-id` on every webhook.
    public var tenantId: String
    /// Sent as `x-8x8-customer-id` on every webhook.
    public var customerId: String
    /// Attempts per webhook event (first try included) before it is dropped, like 8x8's bounded retries.
    public var webhookMaxAttempts: Int
    /// Delay before the first retry; each further retry doubles it.
    public var webhookRetryBaseMs: Int
    /// Upper bound of the retry delay so a long outage still retries every few seconds.
    public var webhookRetryMaxMs: Int
    /// Deadline handed to the host for each webhook POST.
    public var webhookTimeoutMs: Int
    /// How long a user "typing" signal stays visible on the console without a new one.
    public var userTypingExpiryMs: Int
    /// Ended conversations kept for reading (at least 1); older ones are forgotten so a long benchmark cannot exhaust memory.
    public var maxEndedConversations: Int

    /// Creates settings; only the API key and the webhook target have no sensible default.
    public init(
        apiKey: String,
        tenant: String? = nil,
        pathPrefix: String = "/sim",
        webhookURL: HTTPURL,
        channels: [String] = ["demo-channel"],
        queues: [SimulatedQueue] = SimulatedQueue.defaults,
        tenantId: String = "sim-tenant",
        customerId: String = "sim-customer",
        webhookMaxAttempts: Int = 10,
        webhookRetryBaseMs: Int = 200,
        webhookRetryMaxMs: Int = 5_000,
        webhookTimeoutMs: Int = 5_000,
        userTypingExpiryMs: Int = 5_000,
        maxEndedConversations: Int = 500
    ) {
        self.apiKey = apiKey
        self.tenant = tenant
        self.pathPrefix = pathPrefix
        self.webhookURL = webhookURL
        self.channels = channels
        self.queues = queues
        self.tenantId = tenantId
        self.customerId = customerId
        self.webhookMaxAttempts = webhookMaxAttempts
        self.webhookRetryBaseMs = webhookRetryBaseMs
        self.webhookRetryMaxMs = webhookRetryMaxMs
        self.webhookTimeoutMs = webhookTimeoutMs
        self.userTypingExpiryMs = userTypingExpiryMs
        self.maxEndedConversations = maxEndedConversations
    }

    /// The prefix without trailing slashes ("/sim/" → "/sim", "/" → ""), so routing compares one form.
    var normalizedPrefix: String {
        var prefix = pathPrefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if !prefix.isEmpty, !prefix.hasPrefix("/") { prefix = "/" + prefix }
        return prefix
    }

    /// The queue with this id, if configured.
    func queue(_ id: String) -> SimulatedQueue? { queues.first { $0.id == id } }

    /// Retry delay after the `failedAttempts`-th failed attempt: base·2^(n-1), capped, never negative.
    func retryDelayMs(afterFailedAttempts failedAttempts: Int) -> Int {
        let base = max(webhookRetryBaseMs, 0)
        let cap = max(webhookRetryMaxMs, 0)
        var delay = base
        var step = 1
        while step < failedAttempts, delay < cap {
            delay = delay > cap / 2 ? cap : delay * 2
            step += 1
        }
        return min(delay, cap)
    }
}
