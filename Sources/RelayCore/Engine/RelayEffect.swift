import HTTPModel

/// What the core asks the shell to do. The shell executes effects in order.
public enum RelayEffect: Equatable, Sendable {
    /// Queue one text frame on a chat connection.
    case send(ConnectionID, String)
    /// Close a chat connection with a WebSocket close code.
    case close(ConnectionID, code: UInt16, reason: String)
    /// Make an HTTP call; report the outcome with the same id.
    case call(CallID, OutboundRequest)
    /// Wake the core after a delay with `timerFired`.
    case schedule(TimerID, afterMs: Int)
    case log(LogRecord)

    /// The connection a send or close is for.
    public var connection: ConnectionID? {
        switch self {
        case .send(let connection, _), .close(let connection, _, _): connection
        default: nil
        }
    }
}

/// A structured log line. Never carries secrets: callers pass ids and reasons only.
public struct LogRecord: Equatable, Sendable {
    public enum Level: String, Sendable { case debug, info, notice, warning, error }
    public var level: Level
    public var message: String
    public var metadata: [String: String]

    public init(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }
}

/// Exponential backoff with deterministic jitter (so tests can predict delays
/// while concurrent retries still spread out).
public struct RetryPolicy: Equatable, Sendable {
    public var maxAttempts: Int
    public var baseDelayMs: Int
    public var maxDelayMs: Int
    /// Per provider: when to stop calling a failing 8x8 for a while.
    public var breaker: CircuitBreaker.Policy

    public init(maxAttempts: Int = 5, baseDelayMs: Int = 500, maxDelayMs: Int = 8_000, breaker: CircuitBreaker.Policy = .init()) {
        self.maxAttempts = maxAttempts
        self.baseDelayMs = baseDelayMs
        self.maxDelayMs = maxDelayMs
        self.breaker = breaker
    }

    /// Delay before attempt `attempt + 1` (attempt counts from 1), jittered to 50–100 %.
    public func delayMs(afterAttempt attempt: Int, salt: UInt64) -> Int {
        let exponential = min(maxDelayMs, baseDelayMs << min(attempt - 1, 20))
        let fraction = Double((salt &* 0x9E37_79B9_7F4A_7C15) >> 11) / Double(1 << 53)
        return max(1, Int(Double(exponential) * (0.5 + fraction / 2)))
    }
}
