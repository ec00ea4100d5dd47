import Metrics

/// Cumulative counts kept as plain integers elsewhere (e.g. limit refusals in
/// the service loop, verification results in the webhook verifier), exported
/// as one Prometheus counter family with one label. Read when `/metrics` is
/// scraped; each counter moves by the difference since the last scrape.
///
/// - Important: the label values must come from a closed set (enum cases),
///   never from input; used on the service-loop thread only.
final class ExportedCounts {
    private let name: String
    private let label: String
    private let read: () -> [String: Int]
    private let factory: any MetricsFactory
    private var counters: [String: Counter] = [:]
    private var reported: [String: Int] = [:]

    init(name: String, label: String, factory: any MetricsFactory, read: @escaping () -> [String: Int]) {
        self.name = name
        self.label = label
        self.factory = factory
        self.read = read
    }

    func refresh() {
        for (value, count) in read() {
            let delta = count - reported[value, default: 0]
            guard delta > 0 else { continue }
            reported[value] = count
            let counter = counters[value] ?? {
                let made = Counter(label: name, dimensions: [(label, value)], factory: factory)
                counters[value] = made
                return made
            }()
            counter.increment(by: delta)
        }
    }
}

extension HostMetrics {
    /// Adds a family of scrape-time counters (see ``ExportedCounts``).
    func export(_ counts: ExportedCounts) { exported.append(counts) }
}

extension RelayHost {
    /// Exports cumulative counts kept elsewhere as the counter family `name`
    /// (ending in `_total`) with one label, e.g.
    /// `relay.exportCounts("relay_limit_refusals_total", label: "limit") { … }`.
    /// `read` runs on the loop at each scrape and returns counts by label
    /// value; the values must come from a closed set.
    public func exportCounts(_ name: String, label: String, _ read: @escaping () -> [String: Int]) {
        metrics.export(ExportedCounts(name: name, label: label, factory: metrics.factory, read: read))
    }
}
