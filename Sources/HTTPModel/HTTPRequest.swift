import RelayJSON

/// An inbound HTTP request as the shell hands it to pure handlers.
/// Header names are lower-cased; the body is the raw bytes (webhook signatures
/// are computed over them, so they are never re-encoded).
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        self.headers = lowered
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Path segments without empty parts: "/a/b/" → ["a", "b"].
    public var pathSegments: [Substring] { path.split(separator: "/") }

    /// The body parsed as JSON, or nil when it is not JSON.
    public var jsonBody: JSONValue? { try? JSONValue.parse(bytes: body) }
}

/// An HTTP response produced by a pure handler.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ value: JSONValue, contentType: String = "application/json") -> HTTPResponse {
        HTTPResponse(status: status, contentType: contentType, body: value.serializedBytes)
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    /// RFC 7807 problem document, the error shape 8x8 uses and the relay mirrors.
    public static func problem(_ status: Int, code: String, message: String) -> HTTPResponse {
        .json(status, ["status": JSONValue(status), "code": .string(code), "message": .string(message)],
              contentType: "application/problem+json")
    }

    public var jsonBody: JSONValue? { try? JSONValue.parse(bytes: body) }
}
