import RelayCore

/// `handover.stream.v1` on `/ws/stream`: integrators' event streams, replayed
/// from the host's store and continued live as the host commits.
public final class StreamEndpoint: WebSocketEndpoint {
    public let subprotocol = "handover.stream.v1"
    public let path = "/ws/stream"
    /// Integrators' servers, authenticated by token: no browser Origin to check.
    public let checksOrigin = false
    private unowned let host: RelayHost

    init(host: RelayHost) { self.host = host }

    public func opened(_ connection: ConnectionID) {
        host.wantSharedLog()  // several nodes: live events come from the shared log
        host.hub.connected(connection)
    }

    public func received(_ connection: ConnectionID, text: String) {
        host.execute(host.hub.frame(connection, text: text, now: LoopClock.wallMs(), log: host.store))
    }

    public func drained(_ connection: ConnectionID) {
        host.execute(host.hub.drained(connection, log: host.store))
    }

    public func closed(_ connection: ConnectionID) { host.hub.disconnected(connection) }
}
