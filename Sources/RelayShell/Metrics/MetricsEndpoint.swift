import HTTPModel
import RelayCore

/// `GET /metrics`: the Prometheus text exposition of every metric recorded
/// through swift-metrics. The exporter is the executable's (it bootstraps
/// the metrics backend); this handler only checks access, refreshes the
/// values computed at scrape time and asks for the text.
public final class MetricsEndpoint: HTTPHandler {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    private let host: RelayHost
    private let token: String?
    private let render: () -> [UInt8]

    /// - Parameters:
    ///   - token: the bearer token readers must present; nil leaves the route open.
    ///   - render: the exposition text of all metrics.
    public init(host: RelayHost, token: String?, render: @escaping () -> [UInt8]) {
        self.host = host
        self.token = token
        self.render = render
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.path == "/metrics" else { return nil }
        guard request.method == "GET" else { return .problem(405, code: "method_not_allowed", message: "use GET") }
        if let refusal = MetricsAccess.refusal(authorization: request.header("authorization"), token: token) { return refusal }
        host.refreshMetrics()
        return HTTPResponse(status: 200, contentType: Self.contentType, body: render())
    }
}
