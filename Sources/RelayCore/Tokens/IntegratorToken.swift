import RelayJSON

/// A bearer token for integrators (tile pushes, event streams and reads):
/// who it is for, what it may do (`scopes`), optionally which sessions,
/// providers (8x8 tenants) and event types, and until when. Payload
/// `{"typ":"integrator","sub","scopes":[…],"sessions"?:[…],"providers"?:[…],"types"?:[…],"exp"}`.
public struct IntegratorToken: Equatable, Sendable {
    public static let tilesScope = "copilot:tiles"
    /// Read session events: the `handover.stream.v1` stream and the read API.
    public static let streamScope = "stream:read"

    public var subject: String
    public var scopes: [String]
    /// nil: every session.
    public var sessions: [String]?
    /// nil: every provider. Events of sessions that never had a handover carry no provider and are outside any list.
    public var providers: [String]?
    /// nil: every event type (`message`, `handover`).
    public var types: [String]?
    public var expiresAt: Int64

    public init(subject: String, scopes: [String], sessions: [String]? = nil, providers: [String]? = nil, types: [String]? = nil,
                expiresAt: Int64) {
        self.subject = subject
        self.scopes = scopes
        self.sessions = sessions
        self.providers = providers
        self.types = types
        self.expiresAt = expiresAt
    }

    public func sign(secret: [UInt8]) -> String {
        var payload: [String: JSONValue] = [
            "typ": "integrator", "sub": .string(subject), "scopes": .array(scopes.map(JSONValue.string)),
            "exp": JSONValue(expiresAt),
        ]
        if let sessions { payload["sessions"] = .array(sessions.map(JSONValue.string)) }
        if let providers { payload["providers"] = .array(providers.map(JSONValue.string)) }
        if let types { payload["types"] = .array(types.map(JSONValue.string)) }
        return SignedToken.sign(.object(payload), secret: secret)
    }

    public enum VerifyError: Error, Equatable, Sendable { case invalid, expired }

    public static func verify(_ token: String, nowSeconds: Int64, secret: [UInt8]) throws(VerifyError) -> IntegratorToken {
        guard let payload = try? SignedToken.payload(of: token, secret: secret), payload["typ"] == "integrator",
              let subject = payload["sub"]?.stringValue, let scopes = payload["scopes"]?.arrayValue,
              let exp = payload["exp"]?.int64Value
        else { throw .invalid }
        guard exp > nowSeconds else { throw .expired }
        func list(_ key: String) -> [String]? { payload[key]?.arrayValue?.compactMap(\.stringValue) }
        return IntegratorToken(subject: subject, scopes: scopes.compactMap(\.stringValue), sessions: list("sessions"),
                               providers: list("providers"), types: list("types"), expiresAt: exp)
    }

    /// Whether this token may act on `session` with `scope`.
    public func allows(_ scope: String, session: SessionID) -> Bool {
        scopes.contains(scope) && (sessions.map { $0.contains(session.rawValue) } ?? true)
    }
}
