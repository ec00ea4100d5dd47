/// The `code` of an `error` frame on `handover.chat.v1` (docs/PROTOCOL.md lists each).
/// A struct with static members so codes can be added without breaking callers.
public struct ChatErrorCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    private init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let badJSON = ChatErrorCode("bad_json")
    public static let badFrame = ChatErrorCode("bad_frame")
    public static let unknownType = ChatErrorCode("unknown_type")
    public static let helloRequired = ChatErrorCode("hello_required")
    public static let alreadyStarted = ChatErrorCode("already_started")
    public static let unknownSession = ChatErrorCode("unknown_session")
    public static let badResumeToken = ChatErrorCode("bad_resume_token")
    public static let noHandover = ChatErrorCode("no_handover")
    public static let handoverInProgress = ChatErrorCode("handover_in_progress")
    public static let sessionEnded = ChatErrorCode("session_ended")
    /// `limits.maxSessions` reached: no new session now (then close 1013).
    public static let serverFull = ChatErrorCode("server_full")
    /// Over `limits.messagesPerSecond`: the frame was not processed (sent by the shell, on every protocol).
    public static let rateLimited = ChatErrorCode("rate_limited")

    /// Every code, for the documentation test.
    public static let all: [ChatErrorCode] = [
        .badJSON, .badFrame, .unknownType, .helloRequired, .alreadyStarted, .unknownSession,
        .badResumeToken, .noHandover, .handoverInProgress, .sessionEnded, .serverFull, .rateLimited,
    ]
}

/// A client frame that could not be accepted: the code plus a human-readable reason.
public struct ChatProtocolError: Error, Equatable, Sendable {
    public let code: ChatErrorCode
    public let message: String
    /// The client message id the error refers to, when known.
    public let ref: String?

    public init(_ code: ChatErrorCode, _ message: String, ref: String? = nil) {
        self.code = code
        self.message = message
        self.ref = ref
    }
}

/// WebSocket close codes the relay uses (RFC 6455 §7.4).
public enum CloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let invalidPayload: UInt16 = 1007
    /// The client kept sending over its message rate, or reads too slowly.
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011
    /// The relay is shutting down to restart: reconnect (with a short backoff) and resume.
    public static let serviceRestart: UInt16 = 1012
    /// The relay holds its maximum of sessions: try again later.
    public static let tryAgainLater: UInt16 = 1013
}
