/// The relay's metric names (docs/OPERATIONS.md lists them with their
/// meaning). Prometheus conventions: `relay_` prefix, base units in the name
/// (`_seconds`, `_bytes`), `_total` on counters.
public enum MetricNames {
    public static let webSocketConnections = "relay_websocket_connections"
    public static let webSocketOpened = "relay_websocket_connections_opened_total"
    public static let webSocketClosed = "relay_websocket_connections_closed_total"
    public static let webSocketQueuedBytes = "relay_websocket_queued_bytes"
    public static let sessions = "relay_sessions"
    public static let messages = "relay_messages_total"
    public static let gatewayCallDuration = "relay_8x8_call_duration_seconds"
    public static let gatewayCallErrors = "relay_8x8_call_errors_total"
    public static let gatewayPendingCalls = "relay_8x8_outbox_pending_calls"
    public static let gatewayCircuitOpen = "relay_8x8_circuit_open"
    public static let webhookEvents = "relay_webhook_events_total"
    public static let streamSubscribers = "relay_stream_subscribers"
    public static let logCommitDuration = "relay_log_commit_duration_seconds"
    public static let logEventsAppended = "relay_log_events_appended_total"
    public static let logCommitFailures = "relay_log_commit_failures_total"
}

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds, for durations (immune to wall-clock changes).
enum MonotonicClock {
    static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
