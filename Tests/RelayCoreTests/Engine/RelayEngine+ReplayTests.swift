import RelayJSON
import Testing
@testable import RelayCore

/// A resume replays the history a page at a time, paced by the socket draining.
@Suite struct RelayEngineReplayTests {
    /// A session with a long history (each exchange: the user's message and the bot's reply).
    private func longSession(exchanges: Int) -> EngineHarness {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let text = String(repeating: "x", count: 1000)
        for i in 0..<exchanges { _ = h.say(c1, "m\(i)", text) }
        h.engine.chatDisconnected(c1)
        return h
    }

    private func seqs(_ effects: [RelayEffect], to c: ConnectionID) -> [Int] {
        effects.frames(to: c).compactMap { $0["seq"]?.intValue }
    }

    @Test func aLongHistoryGoesOutInPagesAsTheSocketDrains() {
        var h = longSession(exchanges: 60)
        let lastSeq = h.s1.log.lastSeq
        let c2 = h.connect(2)
        let first = h.frame(c2, ["type": "hello", "sessionId": "s1", "resumeToken": "secret-2", "lastSeq": 0])
        #expect(first.frames(to: c2).first?["type"] == "welcome")
        var received = seqs(first, to: c2)
        #expect(received.count < lastSeq)
        let firstPageBytes = first.dropFirst().reduce(0) { total, effect in
            if case .send(_, let text) = effect { total + text.utf8.count } else { total }
        }
        #expect(firstPageBytes <= RelayEngine.replayPageBytes)
        while received.last != lastSeq {
            let page = seqs(h.engine.chatDrained(c2), to: c2)
            #expect(!page.isEmpty)
            if page.isEmpty { break }
            received += page
        }
        #expect(received == Array(1...lastSeq))
        #expect(h.engine.chatDrained(c2).isEmpty)  // done: draining asks for nothing more
    }

    @Test func liveEventsDuringTheReplayArriveThroughItInOrder() {
        var h = longSession(exchanges: 40)
        let c2 = h.connect(2)
        let c3 = h.connect(3)
        var received = seqs(h.frame(c2, ["type": "hello", "sessionId": "s1", "resumeToken": "secret-2", "lastSeq": 0]), to: c2)
        _ = h.frame(c3, ["type": "hello", "sessionId": "s1", "resumeToken": "secret-2", "lastSeq": 0])
        // c3 finishes its replay (drains fast); c2 is still replaying when c3 writes.
        while !h.engine.chatDrained(c3).isEmpty {}
        let live = h.say(c3, "late", "a message while c2 replays")
        #expect(seqs(live, to: c2).isEmpty)
        #expect(!seqs(live, to: c3).isEmpty)
        while true {
            let page = seqs(h.engine.chatDrained(c2), to: c2)
            if page.isEmpty { break }
            received += page
        }
        #expect(received == Array(1...h.s1.log.lastSeq))
        // Replay over: live events reach c2 directly again.
        #expect(!seqs(h.say(c3, "later", "and now?"), to: c2).isEmpty)
    }

    @Test func aShortHistoryIsSentAtOnce() {
        var h = longSession(exchanges: 2)
        let c2 = h.connect(2)
        let effects = h.frame(c2, ["type": "hello", "sessionId": "s1", "resumeToken": "secret-2", "lastSeq": 0])
        #expect(seqs(effects, to: c2) == Array(1...h.s1.log.lastSeq))
        #expect(h.engine.chatReplays.isEmpty)
    }
}
