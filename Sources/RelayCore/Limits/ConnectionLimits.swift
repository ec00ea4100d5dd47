/// The limits the shell enforces on every connection, from `limits` in the
/// config (docs/CONFIG.md lists the defaults and the close code or
/// status of each).
public struct ConnectionLimits: Equatable, Sendable {
    /// Largest WebSocket message (all fragments together); 1009 beyond it.
    public var maxMessageBytes = 65_536
    /// Largest HTTP request body (webhooks, APIs); 413 beyond it.
    public var maxRequestBodyBytes = 1 << 20
    /// Frames queued for a WebSocket reader that does not keep up; 1008 beyond it.
    public var maxQueuedBytesPerConnection = 4 << 20
    /// Messages per second per WebSocket, on average (0 = no limit); `rate_limited` then 1008.
    public var messagesPerSecond = 20
    /// Messages a WebSocket may send at once before the rate applies.
    public var messageBurst = 40
    /// Open WebSockets per client address (0 = no cap); 429 on the upgrade beyond it.
    public var maxConnectionsPerAddress = 256
    /// A WebSocket silent this long is pinged.
    public var pingAfterMs = 60_000
    /// A WebSocket silent this long (no frame, no pong) is closed (1001).
    public var idleTimeoutMs = 150_000

    public init() {}
}

/// What the shell sends when it refuses a frame for a limit: the error frame
/// every protocol shares, so clients handle it in one place.
public enum LimitFrames {
    public static func rateLimited(retryAfterMs: Int, limits: ConnectionLimits) -> String {
        ErrorFrame.text(code: ChatErrorCode.rateLimited.rawValue,
                        message: "more than \(limits.messagesPerSecond) messages per second; this one was not processed, "
                            + "send it again in \(retryAfterMs) ms")
    }
}
