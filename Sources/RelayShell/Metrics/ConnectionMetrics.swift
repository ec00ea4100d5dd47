import Metrics
import RelayCore

/// `relay_websocket_connections{protocol}` and its opened/closed counters.
/// The metric objects are made once per protocol (a handful) and reused:
/// opening a connection costs a dictionary lookup and two atomic adds.
///
/// - Important: used on the service-loop thread only.
final class ConnectionMetrics {
    private struct PerProtocol {
        let label: String
        let open: Meter
        let opened: Counter
        var closedByCode: [String: Counter] = [:]
    }

    private var bySubprotocol: [String: PerProtocol] = [:]
    private let explicitFactory: (any MetricsFactory)?

    /// - Parameter factory: where the metrics go. By default the process-wide
    ///   backend, looked up when a protocol's metrics are first made (a
    ///   connection opens), so a loop made before the backend is bootstrapped
    ///   still reports to it.
    init(factory: (any MetricsFactory)? = nil) {
        explicitFactory = factory
    }

    private var factory: any MetricsFactory { explicitFactory ?? MetricsSystem.factory }

    func opened(_ subprotocol: String) {
        let metrics = self.metrics(subprotocol)
        metrics.open.increment()
        metrics.opened.increment()
    }

    /// - Parameter code: the close code the relay sent, or nil when the peer
    ///   (or libwebsockets, on a protocol error) ended the connection.
    func closed(_ subprotocol: String, code: UInt16?) {
        var metrics = self.metrics(subprotocol)
        metrics.open.decrement()
        let codeLabel = code.map(String.init) ?? "other"
        if let counter = metrics.closedByCode[codeLabel] {
            counter.increment()
        } else {
            let counter = Counter(label: MetricNames.webSocketClosed, dimensions: [("protocol", metrics.label), ("code", codeLabel)],
                                  factory: factory)
            counter.increment()
            metrics.closedByCode[codeLabel] = counter
            bySubprotocol[subprotocol] = metrics
        }
    }

    private func metrics(_ subprotocol: String) -> PerProtocol {
        if let existing = bySubprotocol[subprotocol] { return existing }
        let label = MetricLabels.webSocketProtocol(subprotocol)
        let made = PerProtocol(label: label,
                               open: Meter(label: MetricNames.webSocketConnections, dimensions: [("protocol", label)], factory: factory),
                               opened: Counter(label: MetricNames.webSocketOpened, dimensions: [("protocol", label)], factory: factory))
        bySubprotocol[subprotocol] = made
        return made
    }
}

extension ServiceLoop {
    /// Bytes queued for writing on all WebSockets (slow readers show here first).
    var queuedWebSocketBytes: Int { webSockets.values.reduce(0) { $0 + $1.queuedBytes } }
}
