import Testing
@testable import RelayCore

@Suite struct SessionLogTests {
    private func sampleLog() -> SessionLog {
        var log = SessionLog()
        log.append(.message(.init(from: .bot, text: "hi")), ts: t0)
        log.append(.message(.init(from: .user, text: "yo", clientID: "m1")), ts: t0 + 1)
        log.append(.handover(.requested(queueID: "q")), ts: t0 + 2)
        log.append(.message(.init(from: .agent, text: "hello", agentID: "ag1")), ts: t0 + 3)
        return log
    }

    @Test func seqStartsAtOneAndIncreasesByOne() {
        var log = SessionLog()
        #expect(log.lastSeq == 0)
        let first = log.append(.message(.init(from: .bot, text: "a")), ts: t0)
        #expect(first == SessionEvent(seq: 1, ts: t0, kind: .message(.init(from: .bot, text: "a"))))
        #expect(log.append(.handover(.cancelled), ts: t0 + 5).seq == 2)
        #expect(log.lastSeq == 2)
        #expect(sampleLog().events.map(\.seq) == [1, 2, 3, 4])
    }

    @Test func clientIDsAreRemembered() {
        let log = sampleLog()
        #expect(log.seq(forClientID: "m1") == 2)
        #expect(log.seq(forClientID: "m2") == nil)
    }

    @Test(arguments: [(-5, [1, 2, 3, 4]), (0, [1, 2, 3, 4]), (1, [2, 3, 4]), (3, [4]), (4, []), (99, [])])
    func eventsAfter(seq: Int, expected: [Int]) {
        #expect(sampleLog().events(after: seq).map(\.seq) == expected)
    }

    @Test func messagesSkipHandoverEvents() {
        #expect(sampleLog().messages.map(\.text) == ["hi", "yo", "hello"])
        #expect(SessionEvent(seq: 1, ts: 0, kind: .handover(.cancelled)).message == nil)
    }
}
