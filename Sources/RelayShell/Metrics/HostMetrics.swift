import HTTPModel
import Metrics
import RelayCore

/// The relay host's metrics, recorded through swift-metrics (the executable
/// decides where they go: Prometheus). Every metric object is made once —
/// up front for fixed label sets, on first use for the few label values
/// known only at run time (call operations and statuses, webhook types) —
/// so recording never builds label arrays on the hot path.
///
/// - Important: used on the service-loop thread only.
final class HostMetrics {
    let factory: any MetricsFactory

    // Updated when /metrics is scraped, from the engine's own counts.
    private let messages: [Counter]
    private var reportedMessages = MessageTally()
    private let sessions: [Gauge]
    private let pendingGatewayCalls: Gauge
    private let webSocketQueuedBytes: Gauge
    private let streamSubscribers: Gauge
    /// 1 while a provider's circuit breaker holds its calls, by provider name (from the config: a closed set).
    private var circuits: [String: Gauge] = [:]
    /// Counts other parts of the relay keep, exported with ``RelayHost/exportCounts(_:label:_:)``.
    var exported: [ExportedCounts] = []

    // Recorded as things happen.
    private var callDurations: [String: Timer] = [:]
    private var callErrors: [String: Counter] = [:]
    private var webhookEvents: [String: Counter] = [:]
    private let commitDuration: Timer
    private let eventsAppended: Counter
    private let commitFailures: Counter

    /// - Parameter factory: where the metrics go; the process-wide backend unless a test passes its own.
    init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        messages = MessageDirection.allCases.map { Counter(label: MetricNames.messages, dimensions: [("direction", $0.label)], factory: factory) }
        sessions = SessionPhase.allCases.map { Gauge(label: MetricNames.sessions, dimensions: [("state", $0.label)], factory: factory) }
        pendingGatewayCalls = Gauge(label: MetricNames.gatewayPendingCalls, factory: factory)
        webSocketQueuedBytes = Gauge(label: MetricNames.webSocketQueuedBytes, factory: factory)
        streamSubscribers = Gauge(label: MetricNames.streamSubscribers, factory: factory)
        commitDuration = Timer(label: MetricNames.logCommitDuration, factory: factory)
        eventsAppended = Counter(label: MetricNames.logEventsAppended, factory: factory)
        commitFailures = Counter(label: MetricNames.logCommitFailures, factory: factory)
    }

    // MARK: Scrape time

    /// Brings the counts kept as plain integers (in the engine, the loop and
    /// the stream hub) into the metrics. Counters move by the difference
    /// since the last scrape, so they stay monotonic.
    func refresh(tally: MessageTally, census: SessionCensus, queuedWebSocketBytes: Int, streamSubscribers subscribers: Int,
                 openCircuits: [String: Bool] = [:]) {
        for direction in MessageDirection.allCases {
            let delta = tally[direction] - reportedMessages[direction]
            if delta > 0 { messages[direction.rawValue].increment(by: delta) }
        }
        reportedMessages = tally
        for phase in SessionPhase.allCases { sessions[phase.rawValue].record(census[phase]) }
        pendingGatewayCalls.record(census.pendingGatewayCalls)
        webSocketQueuedBytes.record(queuedWebSocketBytes)
        streamSubscribers.record(subscribers)
        for (provider, open) in openCircuits {
            let gauge = circuits[provider] ?? {
                let made = Gauge(label: MetricNames.gatewayCircuitOpen, dimensions: [("provider", provider)], factory: factory)
                circuits[provider] = made
                return made
            }()
            gauge.record(open ? 1 : 0)
        }
        for counts in exported { counts.refresh() }
    }

    // MARK: As it happens

    /// An 8x8 call finished after `nanoseconds`: its duration, and an error
    /// by status when it did not succeed.
    func gatewayCallCompleted(operation: String, nanoseconds: Int64, result: OutboundResult) {
        let timer = callDurations[operation] ?? {
            let made = Timer(label: MetricNames.gatewayCallDuration, dimensions: [("operation", operation)], factory: factory)
            callDurations[operation] = made
            return made
        }()
        timer.recordNanoseconds(nanoseconds)
        guard !result.isSuccess else { return }
        let status = MetricLabels.callStatus(result)
        counter(&callErrors, key: operation + " " + status, MetricNames.gatewayCallErrors,
                [("operation", operation), ("status", status)]).increment()
    }

    /// One `POST /webhooks/8x8` answered.
    func webhookAnswered(type: String, result: String) {
        counter(&webhookEvents, key: type + " " + result, MetricNames.webhookEvents, [("type", type), ("result", result)]).increment()
    }

    func committed(events: Int, nanoseconds: Int64) {
        commitDuration.recordNanoseconds(nanoseconds)
        if events > 0 { eventsAppended.increment(by: events) }
    }

    func commitFailed() { commitFailures.increment() }

    private func counter(_ cache: inout [String: Counter], key: String, _ label: String, _ dimensions: [(String, String)]) -> Counter {
        if let existing = cache[key] { return existing }
        let made = Counter(label: label, dimensions: dimensions, factory: factory)
        cache[key] = made
        return made
    }
}
