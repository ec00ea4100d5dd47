import Testing
@testable import RelayCore

/// The owner node's local ids for WebSockets proxied from edge nodes.
@Suite struct RemoteConnectionsTests {
    let a1 = RemoteConnections.Remote(node: "a", connection: 1)
    let a2 = RemoteConnections.Remote(node: "a", connection: 2)
    let b1 = RemoteConnections.Remote(node: "b", connection: 1)

    @Test func idsStartAtFirstIDAndCountUp() {
        var remotes = RemoteConnections()
        #expect(remotes.count == 0)
        #expect(remotes.open(a1, channel: .chat) == ConnectionID(RemoteConnections.firstID))
        #expect(remotes.open(b1, channel: .copilot) == ConnectionID(RemoteConnections.firstID + 1))
        #expect(remotes.open(a2, channel: .chat) == ConnectionID(RemoteConnections.firstID + 2))
        #expect(remotes.count == 3)
        #expect(remotes.nodes == ["a", "b"])
    }

    @Test func isRemoteIsTheRangeAboveTheLoopsIds() {
        #expect(!RemoteConnections.isRemote(ConnectionID(1)))
        #expect(!RemoteConnections.isRemote(ConnectionID(RemoteConnections.firstID - 1)))
        #expect(RemoteConnections.isRemote(ConnectionID(RemoteConnections.firstID)))
        #expect(RemoteConnections.isRemote(ConnectionID(UInt64.max)))
        var remotes = RemoteConnections()
        #expect(RemoteConnections.isRemote(remotes.open(a1, channel: .chat)))
    }

    @Test func aRepeatedOpenReturnsTheSameIdAndKeepsTheFirstChannel() {
        var remotes = RemoteConnections()
        let id = remotes.open(a1, channel: .chat)
        #expect(remotes.open(a1, channel: .copilot) == id)
        #expect(remotes.count == 1)
        #expect(remotes.channel(id) == .chat)
        // The same connection number from another node is another connection.
        #expect(remotes.open(b1, channel: .chat) != id)
    }

    @Test func lookupsWorkBothWays() {
        var remotes = RemoteConnections()
        let id = remotes.open(a2, channel: .copilot)
        #expect(remotes.local(a2) == id)
        #expect(remotes.remote(id) == a2)
        #expect(remotes.channel(id) == .copilot)
        #expect(remotes.local(a1) == nil)
        #expect(remotes.remote(ConnectionID(1)) == nil)
        #expect(remotes.channel(ConnectionID(1)) == nil)
    }

    @Test func closeRemovesBothDirections() {
        var remotes = RemoteConnections()
        let id = remotes.open(a1, channel: .chat)
        let other = remotes.open(b1, channel: .chat)
        #expect(remotes.close(id) == a1)
        #expect(remotes.local(a1) == nil)
        #expect(remotes.remote(id) == nil)
        #expect(remotes.channel(id) == nil)
        #expect(remotes.count == 1)
        #expect(remotes.nodes == ["b"])
        #expect(remotes.close(id) == nil, "closing twice is a no-op")
        #expect(remotes.remote(other) == b1)
        // Opened again after a close: a new id (ids are never reused).
        let again = remotes.open(a1, channel: .chat)
        #expect(again != id)
        #expect(again.rawValue > other.rawValue)
    }

    @Test func connectionsOfANodeAreSortedAndOnlyThatNodes() {
        var remotes = RemoteConnections()
        var opened: [ConnectionID] = []
        for n in (1...20).reversed() {
            opened.append(remotes.open(.init(node: "a", connection: UInt64(n)), channel: n.isMultiple(of: 2) ? .chat : .copilot))
            _ = remotes.open(.init(node: "b", connection: UInt64(n)), channel: .chat)
        }
        let ofA = remotes.connections(of: "a")
        #expect(ofA.map(\.0) == opened.sorted())
        #expect(ofA.map(\.0) == ofA.map(\.0).sorted())
        #expect(ofA.allSatisfy { remotes.remote($0.0)?.node == "a" })
        #expect(ofA.allSatisfy { remotes.channel($0.0) == $0.1 })
        #expect(ofA.filter { $0.1 == .chat }.count == 10)
        #expect(remotes.connections(of: "b").count == 20)
        #expect(remotes.connections(of: "c").isEmpty)
        remotes.close(opened[0])
        #expect(remotes.connections(of: "a").count == 19)
    }
}
