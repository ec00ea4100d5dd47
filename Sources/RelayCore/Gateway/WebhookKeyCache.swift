import RelayCrypto

/// 8x8's webhook signing keys, by provider and `kid`, and what the relay
/// remembers about fetching them. A value: the shell asks it what to do and
/// reports what happened.
///
/// - Keys are fetched only for an unknown `kid`, one fetch per `kid` at a time.
/// - A failed fetch is remembered with exponential backoff, and unknown kids
///   share a fetch budget per provider, so a flood of made-up kids cannot make
///   the relay hammer 8x8.
/// - Nothing ever evicts a key that was fetched: a failed fetch of another
///   `kid` leaves live conversations verified by the keys already cached.
public struct WebhookKeyCache: Sendable {
    /// A key is 8x8's per provider: the same `kid` of another provider is another key.
    public struct KeyRef: Hashable, Sendable {
        public var provider: String
        public var kid: String
        public init(provider: String, kid: String) {
            self.provider = provider
            self.kid = kid
        }
    }

    /// What to do about a `kid` that is not cached.
    public enum Lookup: Equatable, Sendable {
        /// Fetch it now (recorded as in flight).
        case fetch
        /// A fetch is already under way: wait for it.
        case wait
        /// Do not fetch now; tell 8x8 to come back after this long.
        case unavailable(retryAfterMs: Int64)
        /// 8x8 said lately that it has no such key: the signature is not 8x8's.
        case unknown
    }

    public struct Limits: Sendable {
        /// Backoff after the first failed fetch of a `kid`; doubles per failure.
        public var baseBackoffMs: Int64 = 1_000
        public var maxBackoffMs: Int64 = 300_000
        /// Fetches per provider and minute (each unknown `kid` costs one).
        public var fetchesPerMinute = 12
        /// Failed kids remembered; the oldest is forgotten beyond this.
        public var maxRememberedFailures = 1_000
        public init() {}
    }

    private struct Failure: Sendable {
        var count: Int
        var retryAtMs: Int64
        var notFound: Bool
    }

    public let limits: Limits
    private var keys: [KeyRef: RSAPublicKey] = [:]
    private var inFlight: Set<KeyRef> = []
    private var failures: [KeyRef: Failure] = [:]
    private var failureOrder: [KeyRef] = []
    /// Start times of recent fetches, per provider (the budget window).
    private var recentFetches: [String: [Int64]] = [:]

    public init(limits: Limits = Limits()) { self.limits = limits }

    public func key(_ ref: KeyRef) -> RSAPublicKey? { keys[ref] }

    public var cachedCount: Int { keys.count }

    /// The decision for an unknown `kid`; `.fetch` marks it in flight.
    public mutating func lookup(_ ref: KeyRef, nowMs: Int64) -> Lookup {
        if inFlight.contains(ref) { return .wait }
        if let failure = failures[ref], nowMs < failure.retryAtMs {
            return failure.notFound ? .unknown : .unavailable(retryAfterMs: failure.retryAtMs - nowMs)
        }
        let window = (recentFetches[ref.provider] ?? []).filter { nowMs - $0 < 60_000 }
        if window.count >= limits.fetchesPerMinute, let oldest = window.min() {
            recentFetches[ref.provider] = window
            return .unavailable(retryAfterMs: oldest + 60_000 - nowMs)
        }
        recentFetches[ref.provider] = window + [nowMs]
        inFlight.insert(ref)
        return .fetch
    }

    /// The fetch brought the key: cache it and forget earlier failures.
    public mutating func fetchSucceeded(_ ref: KeyRef, key: RSAPublicKey) {
        inFlight.remove(ref)
        keys[ref] = key
        if failures.removeValue(forKey: ref) != nil { failureOrder.removeAll { $0 == ref } }
    }

    /// The fetch failed: back off this `kid`. `notFound`: 8x8 answered that
    /// it has no such key (until the backoff ends, webhooks naming it are
    /// forgeries, not victims of an outage). Returns how long until it may be tried again.
    @discardableResult
    public mutating func fetchFailed(_ ref: KeyRef, nowMs: Int64, notFound: Bool = false) -> Int64 {
        inFlight.remove(ref)
        let count = (failures[ref]?.count ?? 0) + 1
        var backoff = limits.baseBackoffMs
        for _ in 1..<count where backoff < limits.maxBackoffMs { backoff *= 2 }
        backoff = min(backoff, limits.maxBackoffMs)
        if failures[ref] == nil {
            failureOrder.append(ref)
            if failureOrder.count > limits.maxRememberedFailures { failures[failureOrder.removeFirst()] = nil }
        }
        failures[ref] = Failure(count: count, retryAtMs: nowMs + backoff, notFound: notFound)
        return backoff
    }
}
