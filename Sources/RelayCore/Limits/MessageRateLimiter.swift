/// The message budget of one WebSocket connection: on average `ratePerSecond`
/// messages, up to `burst` at once (a token bucket).
///
/// A message over budget is refused, not queued: queueing would let a client
/// grow the relay's memory, and dropping silently would lose a message the
/// client believes sent. The client is told (`rate_limited`, with when to
/// retry) and may resend; one that keeps sending into an empty bucket — as
/// many refused messages in a row as its burst — is not listening and is
/// disconnected.
public struct MessageRateLimiter: Equatable, Sendable {
    public enum Verdict: Equatable, Sendable {
        case accept
        /// Not processed; a token is due in `retryAfterMs`.
        case refuse(retryAfterMs: Int)
        /// The client ignores refusals: close the connection.
        case close
    }

    public let ratePerSecond: Int
    public let burst: Int
    /// Tokens in thousandths, so refills at any rate stay integral.
    private var milliTokens: Int
    private var refilledAtMs: UInt64
    private var refusedInARow = 0

    /// A full bucket, as of `nowMs` (monotonic milliseconds).
    public init(ratePerSecond: Int, burst: Int, nowMs: UInt64) {
        precondition(ratePerSecond > 0 && burst > 0, "a limiter needs a positive rate and burst")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        milliTokens = burst * 1000
        refilledAtMs = nowMs
    }

    public mutating func admit(nowMs: UInt64) -> Verdict {
        refill(nowMs: nowMs)
        if milliTokens >= 1000 {
            milliTokens -= 1000
            refusedInARow = 0
            return .accept
        }
        refusedInARow += 1
        if refusedInARow > burst { return .close }
        // Time until the bucket holds one whole token again, rounded up.
        let missing = 1000 - milliTokens
        return .refuse(retryAfterMs: (missing + ratePerSecond - 1) / ratePerSecond)
    }

    private mutating func refill(nowMs: UInt64) {
        guard nowMs > refilledAtMs else { return }
        // ratePerSecond tokens per 1000 ms = ratePerSecond milli-tokens per ms.
        let elapsed = Int(min(nowMs - refilledAtMs, 3_600_000))
        milliTokens = min(burst * 1000, milliTokens + elapsed * ratePerSecond)
        refilledAtMs = nowMs
    }
}
