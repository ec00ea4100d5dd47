import RelayStore

/// Which logged events a stream subscriber (or a read API call) receives.
/// Each set is an allow-list; nil lets everything through.
public struct StreamFilter: Equatable, Sendable {
    public var sessions: Set<String>?
    /// Event types: `message`, `handover`.
    public var types: Set<String>?
    /// The handover provider (8x8 tenant) of the event's session.
    public var providers: Set<String>?
    /// The 8x8 queue of the event's session's handover.
    public var queues: Set<String>?

    public static let knownTypes: Set<String> = ["message", "handover"]

    public init(sessions: Set<String>? = nil, types: Set<String>? = nil, providers: Set<String>? = nil, queues: Set<String>? = nil) {
        self.sessions = sessions
        self.types = types
        self.providers = providers
        self.queues = queues
    }

    public func matches(_ event: StoredEvent) -> Bool {
        if let sessions, !sessions.contains(event.sessionID) { return false }
        if let types, !types.contains(event.kind) { return false }
        guard providers != nil || queues != nil else { return true }
        // The routing fields only: the event itself is not parsed.
        let routing = LogPayload.split(event.payloadJSON).map { ($0.provider, $0.queue) }
            ?? (LogPayload.provider(event.payload), LogPayload.queue(event.payload))
        if let providers, !providers.contains(routing.0 ?? "") { return false }
        if let queues, !queues.contains(routing.1 ?? "") { return false }
        return true
    }

    /// The part of the log a token may read.
    public init(scopeOf token: IntegratorToken) {
        self.init(sessions: token.sessions.map(Set.init), types: token.types.map(Set.init), providers: token.providers.map(Set.init))
    }

    /// This filter narrowed to what `scope` allows. A request for something
    /// outside the scope is refused (naming the field) rather than silently
    /// narrowed, so an integrator never mistakes "forbidden" for "quiet".
    public func within(_ scope: StreamFilter) -> Result<StreamFilter, Forbidden> {
        var result = self
        for (name, keyPath) in [("sessions", \StreamFilter.sessions), ("types", \.types), ("providers", \.providers), ("queues", \.queues)] {
            guard let allowed = scope[keyPath: keyPath] else { continue }
            guard let asked = self[keyPath: keyPath] else {
                result[keyPath: keyPath] = allowed
                continue
            }
            let outside = asked.subtracting(allowed)
            guard outside.isEmpty else { return .failure(Forbidden(field: name, values: outside.sorted())) }
        }
        return .success(result)
    }

    public struct Forbidden: Error, Equatable, Sendable {
        public let field: String
        public let values: [String]
        public var message: String {
            "the token does not allow \(field) \(values.prefix(5).map { "'\($0.prefix(64))'" }.joined(separator: ", "))"
        }
    }
}
