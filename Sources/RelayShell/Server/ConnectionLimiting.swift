import CLWS
import RelayCore

/// How often each limit refused something (exported by `/metrics`).
public struct LimitCounters: Equatable, Sendable {
    /// WebSocket messages refused with `rate_limited`.
    public internal(set) var rateLimitedMessages = 0
    /// WebSockets closed (1008) for sending on while rate limited.
    public internal(set) var rateLimitCloses = 0
    /// WebSocket upgrades refused (429) by the per-address cap.
    public internal(set) var addressCapRefusals = 0
    /// WebSocket messages over `maxMessageBytes` (1009).
    public internal(set) var oversizedMessages = 0
    /// HTTP requests with a body over `maxRequestBodyBytes` (413).
    public internal(set) var oversizedBodies = 0
    /// WebSockets closed (1008) because they read too slowly.
    public internal(set) var slowReaderCloses = 0
    /// WebSockets closed (1001) after `idleTimeoutMs` of silence.
    public internal(set) var idleCloses = 0

    /// By the `limit` label of `relay_limit_refusals_total`.
    public var byLimit: [String: Int] {
        ["rate": rateLimitedMessages, "rate_close": rateLimitCloses, "connections_per_address": addressCapRefusals,
         "message_bytes": oversizedMessages, "request_body_bytes": oversizedBodies, "slow_reader": slowReaderCloses,
         "idle": idleCloses]
    }
}

extension ServiceLoop {
    /// The client's address as lws reports it (IPv4 dotted, or IPv6).
    func peerAddress(_ wsi: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard let text = lws_get_peer_simple(wsi, &buffer, buffer.count) else { return "?" }
        return String(cString: text)
    }

    /// Called before a WebSocket upgrade is accepted: refuses it (429) when
    /// its address already holds `maxConnectionsPerAddress` WebSockets.
    func admitUpgrade(_ wsi: OpaquePointer) -> Int32? {
        let address = peerAddress(wsi)
        guard addressQuota.allows(address) else {
            limitCounters.addressCapRefusals += 1
            logger.warning("WebSocket refused: per-address connection cap",
                           metadata: ["address": "\(address)", "limit": "\(options.limits.maxConnectionsPerAddress)"])
            return refuseUpgrade(wsi, status: 429, "too many connections from this address (at most \(options.limits.maxConnectionsPerAddress))")
        }
        return nil
    }

    /// A new limiter for a WebSocket that just opened, or nil when rates are not limited.
    func newRateLimiter() -> MessageRateLimiter? {
        let limits = options.limits
        guard limits.messagesPerSecond > 0 else { return nil }
        return MessageRateLimiter(ratePerSecond: limits.messagesPerSecond, burst: limits.messageBurst, nowMs: LoopClock.monotonicMs())
    }

    /// Whether a complete message from `ws` may go to its endpoint. A refused
    /// one is answered here (`rate_limited`) or ends the connection (1008).
    func admitMessage(_ ws: WebSocketConnection) -> Bool {
        guard var limiter = ws.rateLimiter else { return true }
        let verdict = limiter.admit(nowMs: LoopClock.monotonicMs())
        ws.rateLimiter = limiter
        switch verdict {
        case .accept:
            return true
        case .refuse(let retryAfterMs):
            limitCounters.rateLimitedMessages += 1
            send(ws.id, LimitFrames.rateLimited(retryAfterMs: retryAfterMs, limits: options.limits))
            return false
        case .close:
            limitCounters.rateLimitCloses += 1
            logger.warning("closing WebSocket: kept sending over its rate limit", metadata: ["connection": "\(ws.id)"])
            // After what is already queued (its acks and refusals), so the client sees why.
            close(ws.id, code: CloseCode.policyViolation, reason: "message rate limit exceeded")
            return false
        }
    }
}
