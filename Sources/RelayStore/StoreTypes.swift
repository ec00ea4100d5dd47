import RelayJSON

/// An event to append: the caller (the core) numbers it within its session and
/// serializes it; the store only assigns the global `offset`.
public struct NewEvent: Equatable, Sendable {
    public var sessionID: String
    /// Per-session sequence number, ≥ 1, unique within the session.
    public var seq: Int
    /// When it happened, in milliseconds since the epoch (used for retention by age).
    public var ts: Int64
    /// A short type tag ("message", "handover", …) so readers can filter without parsing.
    public var kind: String
    /// The event itself as serialized JSON (as ``JSONValue/serializedBytes`` prints it),
    /// opaque to the store: written as it is, and spliced into live stream frames.
    public var payloadJSON: [UInt8]

    /// The payload, parsed (`null` if the bytes are not JSON): for readers; the relay passes the bytes on.
    public var payload: JSONValue { (try? JSONValue.parse(bytes: payloadJSON)) ?? .null }

    /// - Parameter payloadJSON: serialized already (the engine builds it around the chat frame's bytes).
    public init(sessionID: String, seq: Int, ts: Int64, kind: String, payloadJSON: [UInt8]) {
        self.sessionID = sessionID
        self.seq = seq
        self.ts = ts
        self.kind = kind
        self.payloadJSON = payloadJSON
    }

    public init(sessionID: String, seq: Int, ts: Int64, kind: String, payload: JSONValue) {
        self.init(sessionID: sessionID, seq: seq, ts: ts, kind: kind, payloadJSON: payload.serializedBytes)
    }
}

/// An event as stored: a `NewEvent` plus its global offset.
///
/// The payload is kept as the JSON text the store holds, parsed only when
/// asked for: a stream replay splices those bytes into its frames instead of
/// parsing and printing every event again.
public struct StoredEvent: Equatable, Sendable {
    /// Global position in the log: strictly increasing across all sessions, never reused
    /// (not even after retention removed events) within one `epoch`. The first event gets 1.
    public var offset: Int64
    public var sessionID: String
    public var seq: Int
    public var ts: Int64
    public var kind: String
    /// The payload as serialized JSON (as ``JSONValue/serializedBytes`` prints it).
    public var payloadJSON: [UInt8]

    /// The payload, parsed (`null` if the stored text is not JSON).
    public var payload: JSONValue { (try? JSONValue.parse(bytes: payloadJSON)) ?? .null }

    public init(offset: Int64, sessionID: String, seq: Int, ts: Int64, kind: String, payloadJSON: [UInt8]) {
        self.offset = offset
        self.sessionID = sessionID
        self.seq = seq
        self.ts = ts
        self.kind = kind
        self.payloadJSON = payloadJSON
    }

    public init(offset: Int64, sessionID: String, seq: Int, ts: Int64, kind: String, payload: JSONValue) {
        self.init(offset: offset, sessionID: sessionID, seq: seq, ts: ts, kind: kind, payloadJSON: payload.serializedBytes)
    }

    public init(offset: Int64, _ event: NewEvent) {
        self.init(offset: offset, sessionID: event.sessionID, seq: event.seq, ts: event.ts, kind: event.kind, payloadJSON: event.payloadJSON)
    }
}

/// The saved state of a live session (bot, queued or active handover), opaque to the store.
public struct StoredSession: Equatable, Sendable {
    public var id: String
    public var state: JSONValue

    public init(id: String, state: JSONValue) {
        self.id = id
        self.state = state
    }
}

/// A failed store operation: a machine-readable code plus a human-readable message.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "store error (\(code)): \(message)" }

    /// A struct with static members so codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A (session, seq) that already exists; nothing of the call was written.
        public static let duplicate = Code("duplicate")
        /// An argument the store refuses (e.g. seq < 1).
        public static let invalid = Code("invalid")
        /// Stored data that cannot be read back (e.g. a payload that is not JSON).
        public static let corrupt = Code("corrupt")
        /// The database was written by a newer schema version, or could not be migrated.
        public static let schema = Code("schema")
        /// The backend failed (I/O, disk full, locked, …); the message carries its detail.
        public static let backend = Code("backend")
        /// The store was closed.
        public static let closed = Code("closed")
        /// A shared store refused a write to a session that another relay node owns now
        /// (this node was presumed dead and its sessions were taken over). The message is
        /// the session id; nothing of the call was written.
        public static let fenced = Code("fenced")
        /// A shared store lost its data (a Redis restart without persistence): its epoch
        /// changed. Nothing was written; reopen the store (a new history) before writing again.
        public static let lost = Code("lost")
    }
}

/// Log epochs: an opaque string that changes only when history was lost
/// (a new, empty database), like Centrifugo's stream epoch.
public enum StoreEpoch {
    /// 16 random lowercase hex digits.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
