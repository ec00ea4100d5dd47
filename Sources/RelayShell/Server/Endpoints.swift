import HTTPModel
import RelayCore

/// Something that answers HTTP requests synchronously on the service loop.
/// Handlers are asked in order; the first non-nil response wins.
public protocol HTTPHandler: AnyObject {
    func handle(_ request: HTTPRequest) -> HTTPResponse?
}

/// A handler that may answer a request later, on the loop — e.g. once the
/// request's effects are committed, so that many requests share one commit.
public protocol DeferringHTTPHandler: HTTPHandler {
    /// Returns false when the request is not this handler's (then `handle(_:)`
    /// is asked). Otherwise calls `respond` exactly once, now or later on the
    /// loop; a response for a connection that closed meanwhile is dropped.
    func handle(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool
}

/// A WebSocket subprotocol served at one path.
/// - Important: every method is called on the service-loop thread; implementations
///   must not block and may call back into ``ServiceLoop`` directly.
public protocol WebSocketEndpoint: AnyObject {
    /// The `Sec-WebSocket-Protocol` name, e.g. `handover.chat.v1`.
    var subprotocol: String { get }
    /// The only path this subprotocol may be opened on, e.g. `/ws/chat`.
    var path: String { get }
    /// Whether handshakes are subject to the loop's ``OriginPolicy`` (pages in
    /// browsers); false for clients that authenticate otherwise (integrators).
    var checksOrigin: Bool { get }
    func opened(_ connection: ConnectionID)
    func received(_ connection: ConnectionID, text: String)
    func closed(_ connection: ConnectionID)
    /// Everything queued for `connection` has been written to the socket: a
    /// paced sender (a stream replay) may queue its next part.
    func drained(_ connection: ConnectionID)
}

extension WebSocketEndpoint {
    public func drained(_ connection: ConnectionID) {}
    public var checksOrigin: Bool { true }
}
