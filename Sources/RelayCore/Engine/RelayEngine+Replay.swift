extension RelayEngine {
    /// Bytes of replayed events queued for a resuming connection at a time:
    /// well under the smallest allowed `limits.maxQueuedBytesPerConnection` (64 KiB).
    static let replayPageBytes = 16 * 1024

    /// Starts sending the events after `after` to a resuming chat connection.
    ///
    /// A long session's history can exceed what the shell queues for one
    /// connection (`limits.maxQueuedBytesPerConnection`, beyond which a reader
    /// is "too slow"), so it goes out a page at a time: the next page when the
    /// socket has drained (``chatDrained(_:)``). Live events for the session
    /// skip the connection meanwhile — the replay reaches them in order.
    mutating func startReplay(_ connection: ConnectionID, _ sid: SessionID, after: Int) -> [RelayEffect] {
        chatReplays[connection] = after
        return replayPage(connection, sid)
    }

    /// The socket of `connection` has written everything queued.
    public mutating func chatDrained(_ connection: ConnectionID) -> [RelayEffect] {
        guard chatReplays[connection] != nil, case .some(.some(let sid)) = connections[connection] else { return [] }
        return replayPage(connection, sid)
    }

    private mutating func replayPage(_ connection: ConnectionID, _ sid: SessionID) -> [RelayEffect] {
        guard let after = chatReplays[connection], let log = sessions[sid]?.log else { return [] }
        var effects: [RelayEffect] = []
        var bytes = 0
        var sent = after
        for event in log.events(after: after) {
            let frame = ServerFrame.event(event)
            if bytes + frame.utf8.count > Self.replayPageBytes, !effects.isEmpty { break }
            effects.append(.send(connection, frame))
            sent = event.seq
            bytes += frame.utf8.count
        }
        chatReplays[connection] = sent < log.lastSeq ? sent : nil
        return effects
    }
}
