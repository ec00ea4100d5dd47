import RelayCore

/// `handover.copilot.v1` on `/ws/copilot`: agents' live workspaces. It feeds
/// the same engine as the chat endpoint, so both see one consistent session.
public final class CopilotEndpoint: WebSocketEndpoint {
    public let subprotocol = "handover.copilot.v1"
    public let path = "/ws/copilot"
    private unowned let host: RelayHost

    init(host: RelayHost) { self.host = host }

    public func opened(_ connection: ConnectionID) { host.engine.copilotConnected(connection) }

    public func received(_ connection: ConnectionID, text: String) {
        if host.routeFrame(connection, text: text, channel: .copilot) { return }
        host.execute(host.engine.copilotFrame(connection, text: text, now: LoopClock.wallMs()))
    }

    public func closed(_ connection: ConnectionID) {
        _ = host.routeClosed(connection)
        host.engine.copilotDisconnected(connection)
    }
}
