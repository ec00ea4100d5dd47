/// Guards one 8x8 provider: after `failureThreshold` failed calls in a row
/// (unreachable, timeouts, 5xx, 429) spread over at least `minimumFailureSpanMs`
/// the circuit opens and no call is made for `openMs`; then one probe call goes
/// through (half-open) and its outcome closes the circuit or opens it again.
///
/// The span matters at high rates: the calls pipelined on one keep-alive
/// connection all fail together when that connection drops — many failures
/// "in a row" at one instant, which says nothing about 8x8's health and is
/// fixed by the ordinary retry.
///
/// While 8x8 is down, every session would otherwise retry on its own backoff,
/// a storm of doomed calls that also burns each session's retry budget. Calls
/// held by an open circuit are not attempts: they wait, and nothing is lost.
public struct CircuitBreaker: Equatable, Sendable {
    public struct Policy: Equatable, Sendable {
        /// Consecutive failures that open the circuit; 0 disables the breaker.
        public var failureThreshold: Int
        public var openMs: Int
        /// How long the run of failures must last (from its first to its last failure) to open the circuit.
        public var minimumFailureSpanMs: Int

        public init(failureThreshold: Int = 5, openMs: Int = 30_000, minimumFailureSpanMs: Int = 2_000) {
            self.failureThreshold = failureThreshold
            self.openMs = openMs
            self.minimumFailureSpanMs = minimumFailureSpanMs
        }
    }

    public enum State: Equatable, Sendable {
        case closed
        case open(untilMs: Int64)
        /// One probe call is allowed (or in flight); everyone else waits for its outcome.
        case halfOpen
    }

    public enum Permit: Equatable, Sendable {
        case call
        /// Ask again after this long.
        case wait(ms: Int)
    }

    /// What a recorded outcome changed, for logs and the user.
    public enum Transition: Equatable, Sendable {
        case opened(untilMs: Int64)
        case closed
    }

    public let policy: Policy
    public private(set) var state = State.closed
    public private(set) var consecutiveFailures = 0
    /// When the current run of failures began.
    private var failingSinceMs: Int64 = 0
    private var probe: CallID?

    public init(policy: Policy) { self.policy = policy }

    /// How often callers waiting on a probe ask again.
    static let probeWaitMs = 1_000

    /// Whether `call` may go to 8x8 now.
    public mutating func permit(_ call: CallID, now: Int64) -> Permit {
        switch state {
        case .closed:
            return .call
        case .open(let until) where now < until:
            return .wait(ms: Int(until - now))
        case .open, .halfOpen:
            guard probe == nil else { return .wait(ms: min(Self.probeWaitMs, policy.openMs)) }
            state = .halfOpen
            probe = call
            return .call
        }
    }

    /// A call's outcome. Only failures that say something about 8x8's health
    /// count (a 4xx is about the request, and resets nothing either).
    public mutating func record(_ call: CallID, healthy: Bool, now: Int64) -> Transition? {
        guard policy.failureThreshold > 0 else { return nil }
        if call == probe { probe = nil }
        if healthy {
            consecutiveFailures = 0
            guard state != .closed else { return nil }
            state = .closed
            return .closed
        }
        if consecutiveFailures == 0 { failingSinceMs = now }
        consecutiveFailures += 1
        let sustained = consecutiveFailures >= policy.failureThreshold && now - failingSinceMs >= Int64(policy.minimumFailureSpanMs)
        switch state {
        case .halfOpen where probe == nil, .closed where sustained:
            let until = now + Int64(policy.openMs)
            state = .open(untilMs: until)
            return .opened(untilMs: until)
        default:
            return nil
        }
    }
}
