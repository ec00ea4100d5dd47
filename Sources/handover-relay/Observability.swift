import Logging
import Metrics
import Prometheus
import RelayCore
import RelayLogging
import RelayShell

/// Process-wide logging and metrics backends. swift-log and swift-metrics
/// may each be bootstrapped once per process, before the first logger or
/// metric object is made: call these first thing at start-up.
enum Observability {
    /// Log lines to stderr as text (a terminal) or JSON (a log collector).
    static func bootstrapLogging(level: String, format: OpsSettings.LogFormat) -> Logger {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler.standardError(label: label)
            }
        }
        var logger = Logger(label: "handover-relay")
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }

    /// Routes swift-metrics into a Prometheus registry; `GET /metrics` renders it.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // A commit is an SQLite transaction: sub-millisecond normally, tens of
        // ms with synchronous=full; the default buckets start at 5 ms.
        factory.durationHistogramBuckets[MetricNames.logCommitDuration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
