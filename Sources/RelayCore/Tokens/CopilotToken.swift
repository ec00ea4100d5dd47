import RelayJSON

/// The signed `URLToken` of a copilot link (a ``SignedToken``), payload
/// `{"sid":…,"role":"agent","exp":<unix seconds>}`. Binding the session id
/// means a token for one session opens no other.
public enum CopilotToken {
    public static func sign(sessionID: SessionID, role: String, expiresAt: Int64, secret: [UInt8]) -> String {
        SignedToken.sign(["sid": .string(sessionID.rawValue), "role": .string(role), "exp": JSONValue(expiresAt)], secret: secret)
    }

    public enum VerifyError: Error, Equatable, Sendable {
        case malformed, badSignature, expired, wrongSession, wrongRole

        /// What the agent is told. Never more than this: no session data.
        public var message: String {
            switch self {
            case .malformed, .badSignature: "this copilot link is not valid"
            case .expired: "this copilot link has expired; open the conversation's link again"
            case .wrongSession: "this copilot link is for another conversation"
            case .wrongRole: "this token cannot open a copilot page"
            }
        }
    }

    public static func verify(_ token: String, sessionID: SessionID, role: String, nowSeconds: Int64,
                              secret: [UInt8]) throws(VerifyError) {
        let payload: JSONValue
        do {
            payload = try SignedToken.payload(of: token, secret: secret)
        } catch .malformed {
            throw .malformed
        } catch {
            throw .badSignature
        }
        guard let exp = payload["exp"]?.int64Value, exp > nowSeconds else { throw .expired }
        guard payload["sid"]?.stringValue == sessionID.rawValue else { throw .wrongSession }
        guard payload["role"]?.stringValue == role else { throw .wrongRole }
    }
}
