import RelayJSON

/// An HTTP call the core wants made. The shell executes it on the service loop
/// and reports an ``OutboundResult``.
public struct OutboundRequest: Sendable, Equatable {
    public var method: String
    public var url: HTTPURL
    public var headers: [String: String]
    public var body: [UInt8]
    /// Whole-exchange deadline in milliseconds.
    public var timeoutMs: Int

    public init(method: String, url: HTTPURL, headers: [String: String] = [:], body: [UInt8] = [], timeoutMs: Int = 10_000) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
    }

    public var jsonBody: JSONValue? { try? JSONValue.parse(bytes: body) }
}

/// What became of an ``OutboundRequest``.
public enum OutboundResult: Sendable, Equatable {
    /// The peer answered (any status).
    case response(status: Int, body: [UInt8])
    /// No answer: connection refused, TLS failure, reset, or the deadline passed.
    case transportError(String)

    public var status: Int? {
        if case .response(let status, _) = self { return status }
        return nil
    }

    public var isSuccess: Bool { status.map { (200..<300).contains($0) } ?? false }

    /// 5xx, 429 and transport errors may succeed later; other failures will not.
    public var isRetryable: Bool {
        switch self {
        case .transportError: return true
        case .response(let status, _): return status >= 500 || status == 429 || status == 408
        }
    }

    public var jsonBody: JSONValue? {
        if case .response(_, let body) = self { return try? JSONValue.parse(bytes: body) }
        return nil
    }
}
