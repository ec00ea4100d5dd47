import RelayJSON

/// A bearer token for integrators (tile pushes now, event streams later):
/// who it is for, what it may do (`scopes`), optionally which sessions, and
/// until when. Payload `{"typ":"integrator","sub","scopes":[…],"sessions"?:[…],"exp"}`.
public struct IntegratorToken: Equatable, Sendable {
    public static let tilesScope = "copilot:tiles"

    public var subject: String
    public var scopes: [String]
    /// nil: every session.
    public var sessions: [String]?
    public var expiresAt: Int64

    public init(subject: String, scopes: [String], sessions: [String]? = nil, expiresAt: Int64) {
        self.subject = subject
        self.scopes = scopes
        self.sessions = sessions
        self.expiresAt = expiresAt
    }

    public func sign(secret: [UInt8]) -> String {
        var payload: [String: JSONValue] = [
            "typ": "integrator", "sub": .string(subject), "scopes": .array(scopes.map(JSONValue.string)),
            "exp": JSONValue(expiresAt),
        ]
        if let sessions { payload["sessions"] = .array(sessions.map(JSONValue.string)) }
        return SignedToken.sign(.object(payload), secret: secret)
    }

    public enum VerifyError: Error, Equatable, Sendable { case invalid, expired }

    public static func verify(_ token: String, nowSeconds: Int64, secret: [UInt8]) throws(VerifyError) -> IntegratorToken {
        guard let payload = try? SignedToken.payload(of: token, secret: secret), payload["typ"] == "integrator",
              let subject = payload["sub"]?.stringValue, let scopes = payload["scopes"]?.arrayValue,
              let exp = payload["exp"]?.int64Value
        else { throw .invalid }
        guard exp > nowSeconds else { throw .expired }
        return IntegratorToken(subject: subject, scopes: scopes.compactMap(\.stringValue),
                               sessions: payload["sessions"]?.arrayValue?.compactMap(\.stringValue), expiresAt: exp)
    }

    /// Whether this token may act on `session` with `scope`.
    public func allows(_ scope: String, session: SessionID) -> Bool {
        scopes.contains(scope) && (sessions.map { $0.contains(session.rawValue) } ?? true)
    }
}
