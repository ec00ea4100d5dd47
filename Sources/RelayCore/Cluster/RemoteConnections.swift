/// The owner node's side of proxied connections: each remote WebSocket (an edge
/// node's connection id) gets a local ``ConnectionID`` the engine uses like any
/// other, from a range the service loop never hands out.
public struct RemoteConnections: Sendable {
    public struct Remote: Hashable, Sendable {
        public let node: String
        public let connection: UInt64
        public init(node: String, connection: UInt64) {
            self.node = node
            self.connection = connection
        }
    }

    /// Local ids for remote connections start here; the loop counts up from 1.
    public static let firstID: UInt64 = 1 << 62
    private var next = firstID
    private var byLocal: [ConnectionID: (remote: Remote, channel: ClusterMessage.Channel)] = [:]
    private var byRemote: [Remote: ConnectionID] = [:]

    public init() {}

    public static func isRemote(_ connection: ConnectionID) -> Bool { connection.rawValue >= firstID }

    /// A new local id for a remote connection (a repeated open gets the same id).
    public mutating func open(_ remote: Remote, channel: ClusterMessage.Channel) -> ConnectionID {
        if let known = byRemote[remote] { return known }
        let id = ConnectionID(next)
        next += 1
        byLocal[id] = (remote, channel)
        byRemote[remote] = id
        return id
    }

    public func local(_ remote: Remote) -> ConnectionID? { byRemote[remote] }
    public func remote(_ local: ConnectionID) -> Remote? { byLocal[local]?.remote }
    public func channel(_ local: ConnectionID) -> ClusterMessage.Channel? { byLocal[local]?.channel }

    @discardableResult
    public mutating func close(_ local: ConnectionID) -> Remote? {
        guard let entry = byLocal.removeValue(forKey: local) else { return nil }
        byRemote.removeValue(forKey: entry.remote)
        return entry.remote
    }

    /// Every proxied connection of a node (to drop them when it dies).
    public func connections(of node: String) -> [(ConnectionID, ClusterMessage.Channel)] {
        byLocal.filter { $0.value.remote.node == node }.map { ($0.key, $0.value.channel) }.sorted { $0.0 < $1.0 }
    }

    public var nodes: Set<String> { Set(byLocal.values.map(\.remote.node)) }
    public var count: Int { byLocal.count }
}
