import Testing
@testable import RelayCore

@Suite struct MessageTallyTests {
    @Test func directionFollowsAuthorAndWhoOwnsTheConversation() {
        #expect(MessageDirection(author: .user, withHuman: false) == .userToBot)
        #expect(MessageDirection(author: .user, withHuman: true) == .userTo8x8)
        #expect(MessageDirection(author: .bot, withHuman: false) == .botToUser)
        #expect(MessageDirection(author: .agent, withHuman: true) == .agentToUser)
        #expect(MessageDirection(author: .system, withHuman: true) == .systemToUser)
    }

    @Test func labelsAreDistinctPrometheusValues() {
        let labels = MessageDirection.allCases.map(\.label)
        #expect(Set(labels).count == labels.count)
        #expect(labels.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" || $0.isNumber } })
    }

    @Test func theEngineCountsEveryMessageItAppends() {
        var h = EngineHarness()
        let c = h.connect(1)
        h.activeHandover(c)  // greeting, "I want an agent", bot reply, then with the agent
        let before = h.engine.messageTally
        #expect(before[.botToUser] == 2 && before[.userToBot] == 1 && before[.userTo8x8] == 0)
        _ = h.say(c, "m2", "my order is late")
        _ = h.webhook("MESSAGE", data: ["isEcho": false, "sender": ["id": "ag1", "type": "agent"], "text": "Looking"])
        #expect(h.engine.messageTally[.userTo8x8] == 1)
        #expect(h.engine.messageTally[.agentToUser] == 1)
        #expect(h.engine.messageTally[.userToBot] == 1)
    }

    @Test func aRetransmittedMessageIsNotCountedTwice() {
        var h = EngineHarness()
        let c = h.connect(1)
        _ = h.hello(c)
        _ = h.say(c, "m1", "hello")
        let once = h.engine.messageTally[.userToBot]
        _ = h.say(c, "m1", "hello")
        #expect(h.engine.messageTally[.userToBot] == once)
    }
}
