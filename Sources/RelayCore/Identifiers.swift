/// A chat session: one end user's conversation, across reconnects and handovers.
public struct SessionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// One WebSocket connection, as numbered by the shell. The core never sees sockets.
/// Ordered by number, so effects for several connections come out in a fixed order.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "conn-\(rawValue)" }
    public static func < (a: ConnectionID, b: ConnectionID) -> Bool { a.rawValue < b.rawValue }
}

/// Correlates an outbound HTTP call with its result.
public struct CallID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "call-\(rawValue)" }
}

/// Correlates a scheduled wake-up with what it is for.
public struct TimerID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "timer-\(rawValue)" }
}

/// Where new identifiers and secrets come from. Production uses the CSPRNG;
/// tests use a counter so expected output is fixed.
public protocol IdentifierSource: Sendable {
    mutating func newSessionID() -> SessionID
    /// An unguessable token (resume tokens): at least 128 bits of entropy.
    mutating func newSecret() -> String
}

/// Deterministic identifiers for tests and simulations: `s1`, `s2`, … and `secret-1`, ….
public struct SequentialIdentifiers: IdentifierSource {
    private var counter = 0
    public init() {}
    public mutating func newSessionID() -> SessionID {
        counter += 1
        return SessionID("s\(counter)")
    }
    public mutating func newSecret() -> String {
        counter += 1
        return "secret-\(counter)"
    }
}
