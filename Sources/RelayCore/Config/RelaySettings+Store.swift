import HTTPModel
import RelayJSON

/// Where the durable event log lives.
public struct StoreSettings: Equatable, Sendable {
    public enum Backend: String, Sendable { case sqlite, memory, redis }
    public enum Synchronous: String, Sendable { case normal, full }

    /// `sqlite` (default): `<dataDir>/relay.sqlite3`, survives restarts and crashes.
    /// `memory`: nothing survives the process (tests, throwaway demos).
    public var backend = Backend.sqlite
    /// `normal` survives a crash of the relay; `full` also survives power loss (an fsync per commit).
    public var synchronous = Synchronous.normal
    /// `redis`: the shared store of a multi-node deployment (docs/REDIS.md).
    public var redis = RedisSettings()

    public init() {}

    static let backendProblem = "must be \"sqlite\", \"memory\" or \"redis\""
}

/// Where the shared store of several relay nodes lives.
public struct RedisSettings: Equatable, Sendable {
    /// `redis://[[user]:password@]host[:port][/db]`; required with `store.backend: redis`.
    /// May carry a password: never printed (see ``redactedURL``).
    public var url: String?
    /// Every key starts with `hr:{prefix}:`: deployments sharing one Redis use different prefixes.
    public var prefix = "relay"
    /// A node whose heartbeat is this old is dead: its sessions are taken over by the others.
    public var nodeTimeoutMs = 5_000

    public init() {}

    /// The URL with its user info replaced by `***` (for summaries and errors).
    public var redactedURL: String? {
        guard let url else { return nil }
        let scheme = "redis://"
        guard url.hasPrefix(scheme), let at = url.lastIndex(of: "@") else { return url }
        return scheme + "***" + String(url[at...])
    }
}

/// How long finished sessions' events are kept. Events of live sessions are
/// always kept, whatever their age.
public struct RetentionSettings: Equatable, Sendable {
    /// nil: no age limit.
    public var maxAgeHours: Int? = 7 * 24
    /// nil: no count limit (soft: live sessions may exceed it).
    public var maxEvents: Int?

    public init(maxAgeHours: Int? = 7 * 24, maxEvents: Int? = nil) {
        self.maxAgeHours = maxAgeHours
        self.maxEvents = maxEvents
    }
}

/// An integrator's HTTP subscription: each matching event is POSTed to
/// `url`, in offset order, signed with `secret`, retried until accepted.
public struct WebhookSubscriptionSettings: Equatable, Sendable {
    public var name: String
    public var url: HTTPURL
    /// HMAC-SHA256 key of the `X-Relay-Signature` header. Never logged.
    public var secret: [UInt8]
    public var filter: StreamFilter
    /// Events per POST.
    public var batchSize: Int
    public var timeoutMs: Int

    public init(name: String, url: HTTPURL, secret: [UInt8], filter: StreamFilter = StreamFilter(), batchSize: Int = 100,
                timeoutMs: Int = 10_000) {
        self.name = name
        self.url = url
        self.secret = secret
        self.filter = filter
        self.batchSize = batchSize
        self.timeoutMs = timeoutMs
    }
}

/// The integrator stream: backpressure and HTTP subscriptions.
public struct StreamSettings: Equatable, Sendable {
    /// A live subscriber with more than this queued is disconnected (close 4429).
    public var maxQueuedBytes = 1 << 20
    public var webhooks: [WebhookSubscriptionSettings] = []
    public init() {}
}

extension RelaySettings {
    mutating func applyStore(_ json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "store.")
        try r.reject(unknownKeysBesides: ["backend", "synchronous", "retention", "redis"])
        if let backend = try r.string("backend") { store.backend = try Self.storeBackend(backend, key: "store.backend") }
        if let redis = try r.object("redis").map(JSONValue.object) {
            let rr = ConfigReader(json: redis, path: "store.redis.")
            try rr.reject(unknownKeysBesides: ["url", "prefix", "nodeTimeoutMs"])
            if let url = try rr.string("url") { store.redis.url = try Self.redisURL(url, key: "store.redis.url") }
            if let prefix = try rr.string("prefix") { store.redis.prefix = try Self.redisPrefix(prefix, key: "store.redis.prefix") }
            store.redis.nodeTimeoutMs = try rr.int("nodeTimeoutMs", in: 2_000...120_000) ?? store.redis.nodeTimeoutMs
        }
        if let sync = try r.string("synchronous") {
            guard let value = StoreSettings.Synchronous(rawValue: sync) else {
                throw ConfigError(key: "store.synchronous", problem: "must be \"normal\" or \"full\", got \"\(sync)\"")
            }
            store.synchronous = value
        }
        if let retention = try r.object("retention").map(JSONValue.object) {
            let rr = ConfigReader(json: retention, path: "store.retention.")
            try rr.reject(unknownKeysBesides: ["maxAgeHours", "maxEvents"])
            // An explicit null switches a limit off.
            if retention["maxAgeHours"] == .null { self.retention.maxAgeHours = nil }
            else if let hours = try rr.int("maxAgeHours", in: 1...876_000) { self.retention.maxAgeHours = hours }
            if retention["maxEvents"] == .null { self.retention.maxEvents = nil }
            else if let count = try rr.int("maxEvents", in: 1_000...1_000_000_000) { self.retention.maxEvents = count }
        }
    }

    static func storeBackend(_ text: String, key: String) throws(ConfigError) -> StoreSettings.Backend {
        guard let value = StoreSettings.Backend(rawValue: text) else {
            throw ConfigError(key: key, problem: StoreSettings.backendProblem + ", got \"\(text.prefix(40))\"")
        }
        return value
    }

    /// Only the scheme is checked here (the Redis store parses the rest at start, and
    /// `--check-config` runs that too); `rediss://` gets its own answer.
    static func redisURL(_ text: String, key: String) throws(ConfigError) -> String {
        if text.hasPrefix("rediss://") {
            throw ConfigError(key: key, problem: "TLS to Redis (rediss://) is not supported by the hiredis Debian ships (0.14): "
                + "reach a remote Redis through a local TLS tunnel (stunnel, spiped) and use redis://127.0.0.1:<port>")
        }
        guard text.hasPrefix("redis://"), text.count > 8 else {
            throw ConfigError(key: key, problem: "must be redis://[[user]:password@]host[:port][/db]")
        }
        return text
    }

    static func redisPrefix(_ text: String, key: String) throws(ConfigError) -> String {
        guard !text.isEmpty, text.count <= 64, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw ConfigError(key: key, problem: "must be 1–64 letters, digits, '-', '_' or '.'")
        }
        return text
    }

    /// `store.backend: redis` needs a URL (checked once every source is applied).
    func validateStore() throws(ConfigError) {
        if store.backend == .redis, store.redis.url == nil {
            throw ConfigError(key: "store.redis.url", problem: "is required with store.backend \"redis\" (or --redis-url / RELAY_REDIS_URL)")
        }
    }

    mutating func applyStream(_ json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "stream.")
        try r.reject(unknownKeysBesides: ["maxQueuedBytes", "webhooks"])
        stream.maxQueuedBytes = try r.int("maxQueuedBytes", in: (64 << 10)...(64 << 20)) ?? stream.maxQueuedBytes
        guard let hooks = json["webhooks"], !hooks.isNull else { return }
        guard let list = hooks.arrayValue else { throw ConfigError(key: "stream.webhooks", problem: "must be an array") }
        var names: Set<String> = []
        for (index, hook) in list.enumerated() {
            let subscription = try Self.webhookSubscription(hook, path: "stream.webhooks[\(index)].")
            guard names.insert(subscription.name).inserted else {
                throw ConfigError(key: "stream.webhooks[\(index)].name", problem: "\"\(subscription.name)\" is used twice")
            }
            stream.webhooks.append(subscription)
        }
    }

    static func webhookSubscription(_ json: JSONValue, path: String) throws(ConfigError) -> WebhookSubscriptionSettings {
        guard case .object = json else { throw ConfigError(key: String(path.dropLast()), problem: "must be an object") }
        let r = ConfigReader(json: json, path: path)
        try r.reject(unknownKeysBesides: ["name", "url", "secret", "filter", "batchSize", "timeoutMs"])
        guard let name = try r.nonEmptyString("name") else { throw ConfigError(key: r.key("name"), problem: "is required") }
        guard let url = try r.string("url") else { throw ConfigError(key: r.key("url"), problem: "is required") }
        guard let secret = try r.string("secret") else { throw ConfigError(key: r.key("secret"), problem: "is required") }
        var filter = StreamFilter()
        if let f = try r.object("filter").map(JSONValue.object) {
            let fr = ConfigReader(json: f, path: path + "filter.")
            try fr.reject(unknownKeysBesides: ["sessions", "types", "providers", "queues"])
            filter = StreamFilter(sessions: try fr.stringArray("sessions").map(Set.init), types: try fr.stringArray("types").map(Set.init),
                                  providers: try fr.stringArray("providers").map(Set.init), queues: try fr.stringArray("queues").map(Set.init))
            if let unknown = filter.types?.subtracting(StreamFilter.knownTypes).sorted().first {
                throw ConfigError(key: fr.key("types"), problem: "has unknown event type \"\(unknown)\" (known: message, handover)")
            }
        }
        return WebhookSubscriptionSettings(name: name, url: try Self.url(url, key: r.key("url")), secret: try Self.secret(secret, key: r.key("secret")),
                                           filter: filter, batchSize: try r.int("batchSize", in: 1...1000) ?? 100,
                                           timeoutMs: try r.int("timeoutMs", in: 100...120_000) ?? 10_000)
    }
}
