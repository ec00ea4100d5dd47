import HTTPModel
import RelayCrypto

/// Who may read `GET /metrics`. Without a configured token anyone who
/// reaches the port may (metrics carry counts, never ids or text); with one,
/// only a request with `Authorization: Bearer <token>`.
public enum MetricsAccess {
    /// nil when the request may read the metrics, else the 401 to answer.
    public static func refusal(authorization: String?, token: String?) -> HTTPResponse? {
        guard let token else { return nil }
        guard let header = authorization, header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return unauthorized("a bearer token is required (metrics.token)")
        }
        // Constant time: the comparison must not tell how much of a guess was right.
        guard Crypto.constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(token.utf8)) else {
            return unauthorized("the metrics token is not valid")
        }
        return nil
    }

    private static func unauthorized(_ message: String) -> HTTPResponse {
        var response = HTTPResponse.problem(401, code: "unauthorized", message: message)
        response.headers["www-authenticate"] = "Bearer realm=\"metrics\""
        return response
    }
}

/// Label values derived from names the relay already has.
public enum MetricLabels {
    /// `handover.chat.v1` → `chat`, `simulator.console.v1` → `console`:
    /// the `protocol` label of the WebSocket metrics.
    public static func webSocketProtocol(_ subprotocol: String) -> String {
        let parts = subprotocol.split(separator: ".")
        return parts.count == 3 ? String(parts[1]) : subprotocol
    }

    /// The `status` label of `relay_8x8_call_errors_total`: the HTTP status, or
    /// `transport` when there was no answer (refused, reset, TLS, timeout).
    public static func callStatus(_ result: OutboundResult) -> String {
        switch result {
        case .response(let status, _): String(status)
        case .transportError: "transport"
        }
    }
}
