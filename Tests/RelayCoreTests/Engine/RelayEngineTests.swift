import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

/// The chat side of the engine: sessions, frames, resume, end. No sockets.
@Suite struct RelayEngineTests {
    // MARK: hello

    @Test func helloStartsASessionWithWelcomeAndGreeting() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let effects = h.hello(c1)
        #expect(effects.withoutLogs == [
            .send(c1, #"{"lastSeq":0,"mode":"bot","resumeToken":"secret-2","resumed":false,"sessionId":"s1","type":"welcome"}"#),
            .send(c1, messageFrame(1, .bot, greetingForAda)),
        ])
        #expect(effects.frames(to: c1)[1] == ["type": "message", "seq": 1, "from": "bot", "text": .string(greetingForAda), "ts": 1_700_000_000_000])
        #expect(effects.logs.contains { $0.message == "session started" && $0.metadata == ["session": "s1"] })
        #expect(h.s1.user == UserInfo(name: "Ada"))
        #expect(h.s1.connections == [c1])
        #expect(h.s1.log.lastSeq == 1)
        #expect(!h.s1.isWithHuman)
    }

    @Test func helloWithoutNameGreetsThere() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        #expect(h.frame(c1, #"{"type":"hello"}"#).frames(to: c1)[1]["text"]?.stringValue?.hasPrefix("Hi there!") == true)
    }

    @Test func secondHelloOnAConnectionIsRefused() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        #expect(h.hello(c1) == [.send(c1, errorFrame(.alreadyStarted, "this connection already has a session"))])
        #expect(h.engine.sessions.count == 1)
    }

    @Test func framesBeforeHelloAreRefused() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        for text in [#"{"type":"message","id":"m1","text":"hi"}"#, #"{"type":"typing","active":true}"#, #"{"type":"request_handover"}"#,
                     #"{"type":"cancel_handover"}"#, #"{"type":"end"}"#] {
            #expect(h.frame(c1, text) == [.send(c1, errorFrame(.helloRequired, "send 'hello' first"))])
        }
        #expect(h.engine.sessions.isEmpty)
    }

    @Test func decodeErrorsAreReportedAndTheConnectionStays() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        #expect(h.frame(c1, "[1]") == [.send(c1, errorFrame(.badJSON, "frame must be a JSON object, got array"))])
        #expect(h.frame(c1, #"{"type":"dance"}"#) == [.send(c1, errorFrame(.unknownType, "unknown frame type 'dance'"))])
        _ = h.hello(c1)
        #expect(h.frame(c1, #"{"type":"message","id":"m9","text":" "}"#) == [.send(c1, errorFrame(.badFrame, "'text' is empty", ref: "m9"))])
        #expect(h.s1.log.lastSeq == 1)
    }

    @Test func framesFromUnknownConnectionsAreDropped() {
        var h = EngineHarness()
        #expect(h.frame(ConnectionID(99), #"{"type":"hello"}"#) == [])
        #expect(h.engine.connectionCount == 0)
    }

    @Test func disconnectDetachesTheConnection() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let c2 = h.connect(2)
        _ = h.hello(c1)
        #expect(h.engine.connectionCount == 2)
        h.engine.chatDisconnected(c1)
        h.engine.chatDisconnected(c2)  // never said hello
        #expect(h.engine.connectionCount == 0)
        #expect(h.s1.connections.isEmpty)
        #expect(h.frame(c1, #"{"type":"end"}"#) == [])
    }

    // MARK: messages with the bot

    @Test func messageIsAckedEchoedAndAnsweredByTheBot() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let effects = h.say(c1, "m1", "What are your opening hours?")
        #expect(effects.withoutLogs == [
            .send(c1, #"{"id":"m1","seq":2,"type":"ack"}"#),
            .send(c1, messageFrame(2, .user, "What are your opening hours?", id: "m1")),
            .send(c1, messageFrame(3, .bot, script.faqs[0].answer)),
        ])
        #expect(effects.frames(to: c1)[1] == ["type": "message", "seq": 2, "from": "user", "id": "m1",
                                             "text": "What are your opening hours?", "ts": 1_700_000_000_000])
        #expect(effects.calls.isEmpty)
    }

    @Test func userMessagesAreEchoedToEveryTab() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let c2 = h.connect(2)
        _ = h.hello(c1)
        _ = h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":1}"#)
        let effects = h.say(c2, "m1", "hello")
        #expect(effects.withoutLogs == [
            .send(c2, #"{"id":"m1","seq":2,"type":"ack"}"#),
            .send(c1, messageFrame(2, .user, "hello", id: "m1")),
            .send(c2, messageFrame(2, .user, "hello", id: "m1")),
            .send(c1, messageFrame(3, .bot, script.fallback)),
            .send(c2, messageFrame(3, .bot, script.fallback)),
        ])
    }

    @Test func duplicateClientMessageIDIsAckedWithTheOriginalSeqOnly() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.say(c1, "m1", "hello")
        _ = h.say(c1, "m2", "track my order")
        h.now += 10_000
        #expect(h.say(c1, "m1", "hello") == [.send(c1, #"{"id":"m1","seq":2,"type":"ack"}"#)])
        #expect(h.say(c1, "m1", "even with other text") == [.send(c1, #"{"id":"m1","seq":2,"type":"ack"}"#)])
        #expect(h.s1.log.lastSeq == 5)
        #expect(h.s1.log.messages.filter { $0.clientID == "m1" }.count == 1)
    }

    @Test func typingAndCancelWithoutAHandover() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        #expect(h.frame(c1, #"{"type":"typing","active":true}"#) == [])
        #expect(h.frame(c1, #"{"type":"cancel_handover"}"#) == [.send(c1, errorFrame(.noHandover, "there is no handover to cancel"))])
    }

    // MARK: resume

    @Test func resumeReplaysExactlyTheLaterEvents() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)                                  // 1 greeting
        _ = h.say(c1, "m1", "hours?")                    // 2 user, 3 bot
        h.now += 1_000
        _ = h.say(c1, "m2", "refund")                    // 4 user, 5 bot
        h.engine.chatDisconnected(c1)

        let c2 = h.connect(2)
        let effects = h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":3}"#)
        #expect(effects == [
            .send(c2, #"{"lastSeq":5,"mode":"bot","resumeToken":"secret-2","resumed":true,"sessionId":"s1","type":"welcome"}"#),
            .send(c2, messageFrame(4, .user, "refund", id: "m2", ts: t0 + 1_000)),
            .send(c2, messageFrame(5, .bot, script.faqs[2].answer, ts: t0 + 1_000)),
        ])
        #expect(h.s1.connections == [c2])
    }

    @Test(arguments: [
        (nil, [1, 2, 3]), (0, [1, 2, 3]), (2, [3]), (3, []), (50, []),
    ] as [(Int?, [Int])])
    func resumeFromAnySeq(lastSeq: Int?, replayed: [Int]) {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.say(c1, "m1", "hi")
        let c2 = h.connect(2)
        var hello: JSONValue = ["type": "hello", "sessionId": "s1", "resumeToken": "secret-2"]
        if let lastSeq, case .object(var o) = hello { o["lastSeq"] = JSONValue(lastSeq); hello = .object(o) }
        let frames = h.frame(c2, hello).frames(to: c2)
        #expect(frames.first?["type"] == "welcome")
        #expect(frames.first?["resumed"] == true)
        #expect(frames.first?["lastSeq"] == 3)
        #expect(frames.dropFirst().map { $0["seq"]?.intValue } == replayed)
    }

    @Test func resumeDuringAHandoverReportsTheState() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let c2 = h.connect(2)
        let effects = h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":6}"#)
        #expect(effects == [.send(c2, #"{"handover":{"agentId":"ag1","state":"active"},"lastSeq":6,"mode":"handover","resumeToken":"secret-2","resumed":true,"sessionId":"s1","type":"welcome"}"#)])
    }

    @Test func unknownSession() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        #expect(h.frame(c1, #"{"type":"hello","sessionId":"nope","resumeToken":"secret-2"}"#)
                == [.send(c1, errorFrame(.unknownSession, "no session 'nope'"))])
        // Still not attached: the client may start anew on the same connection.
        #expect(h.say(c1, "m1", "hi") == [.send(c1, errorFrame(.helloRequired, "send 'hello' first"))])
        #expect(h.hello(c1).withoutLogs.count == 2)
    }

    @Test(arguments: [#""resumeToken":"secret-3","#, #""resumeToken":"","#, "", #""resumeToken":"secret-2x","#])
    func badResumeToken(tokenField: String) {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let c2 = h.connect(2)
        #expect(h.frame(c2, #"{"type":"hello",\#(tokenField)"sessionId":"s1"}"#)
                == [.send(c2, errorFrame(.badResumeToken, "resumeToken does not match this session"))])
        #expect(h.s1.connections == [c1])
        #expect(h.frame(c2, #"{"type":"end"}"#) == [.send(c2, errorFrame(.helloRequired, "send 'hello' first"))])
    }

    // MARK: end

    @Test func endInBotModeClosesWith1000() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        let effects = h.frame(c1, #"{"type":"end"}"#)
        #expect(effects.withoutLogs == [
            .send(c1, messageFrame(2, .system, "The chat has ended.")),
            .close(c1, code: 1000, reason: "chat ended"),
        ])
        #expect(h.s1.ended)
        #expect(effects.calls.isEmpty)
    }

    @Test func endDuringAHandoverEndsItAndClosesEveryConnection() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let c2 = h.connect(2)
        _ = h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":6}"#)
        let effects = h.frame(c2, #"{"type":"end"}"#)
        #expect(effects.withoutLogs == [
            .send(c1, handoverFrame(7, .ended(by: .user))),
            .send(c2, handoverFrame(7, .ended(by: .user))),
            .call(CallID(2), gateway.removeUser(conversationID: "X")),
            .send(c1, messageFrame(8, .system, "The chat has ended.")),
            .send(c2, messageFrame(8, .system, "The chat has ended.")),
            .close(c1, code: 1000, reason: "chat ended"),
            .close(c2, code: 1000, reason: "chat ended"),
        ])
        // No bot "back" message: the user is gone.
        #expect(!effects.sent.contains { $0.1["from"] == "bot" })
        #expect(h.s1.handover?.state == .ended(by: .user))
    }

    @Test func framesAfterEndAreSessionEnded() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        _ = h.hello(c1)
        _ = h.frame(c1, #"{"type":"end"}"#)
        let ended = [RelayEffect.send(c1, errorFrame(.sessionEnded, "this session has ended; start a new one"))]
        #expect(h.say(c1, "m1", "hello?") == ended)
        #expect(h.frame(c1, #"{"type":"request_handover"}"#) == ended)
        #expect(h.frame(c1, #"{"type":"typing","active":true}"#) == ended)
        #expect(h.frame(c1, #"{"type":"end"}"#) == ended)
        #expect(h.s1.log.lastSeq == 2)
        // A resume still replays the transcript, says the session has ended, and accepts nothing new.
        let c2 = h.connect(2)
        #expect(h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2","lastSeq":1}"#) == [
            .send(c2, #"{"ended":true,"lastSeq":2,"mode":"bot","resumeToken":"secret-2","resumed":true,"sessionId":"s1","type":"welcome"}"#),
            .send(c2, messageFrame(2, .system, "The chat has ended.")),
        ])
        #expect(h.say(c2, "m2", "hi") == [.send(c2, errorFrame(.sessionEnded, "this session has ended; start a new one"))])
    }

    @Test func sessionsAreIndependent() {
        var h = EngineHarness()
        let c1 = h.connect(1)
        let c2 = h.connect(2)
        _ = h.hello(c1)
        let effects = h.hello(c2, name: "Bo")
        #expect(effects.frames(to: c2).first?["sessionId"] == "s3")
        #expect(effects.frames(to: c2).first?["resumeToken"] == "secret-4")
        #expect(effects.frames(to: c1).isEmpty)
        #expect(h.say(c2, "m1", "hi").frames(to: c1).isEmpty)
    }

    // MARK: forgetting idle sessions

    @Test func idleSessionsAreForgottenAfterTheTTL() {
        var config = testConfig()
        config.sessionIdleTTLSeconds = 60
        var h = EngineHarness(config: config)
        let c1 = h.connect(1)
        _ = h.hello(c1)                                   // last event at t0
        #expect(h.engine.sweepIdleSessions(now: t0 + 120_000) == [])   // still connected
        h.engine.chatDisconnected(c1)
        #expect(h.engine.sweepIdleSessions(now: t0 + 60_000) == [])    // exactly at the cutoff: kept
        let effects = h.engine.sweepIdleSessions(now: t0 + 60_001)
        #expect(effects.logs.first?.metadata == ["count": "1", "remaining": "0"])
        #expect(h.engine.session(SessionID("s1")) == nil)
        let c2 = h.connect(2)
        #expect(h.frame(c2, #"{"type":"hello","sessionId":"s1","resumeToken":"secret-2"}"#)
                == [.send(c2, errorFrame(.unknownSession, "no session 's1'"))])
    }

    @Test func sessionsWithAHumanAreNeverSwept() {
        var config = testConfig()
        config.sessionIdleTTLSeconds = 1
        var h = EngineHarness(config: config)
        let c1 = h.connect(1)
        h.activeHandover(c1)
        h.engine.chatDisconnected(c1)
        #expect(h.engine.sweepIdleSessions(now: t0 + 86_400_000) == [])
        #expect(h.engine.session(SessionID("s1")) != nil)
    }

    @Test func sweptSessionsForgetTheirConversation() {
        var config = testConfig()
        config.sessionIdleTTLSeconds = 1
        var h = EngineHarness(config: config)
        let c1 = h.connect(1)
        h.activeHandover(c1)
        _ = h.webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "left", "id": "ag1"])
        _ = h.complete(CallID(2), status: 204)
        h.engine.chatDisconnected(c1)
        #expect(h.engine.sweepIdleSessions(now: t0 + 2_000).logs.count == 1)
        #expect(h.webhook("MESSAGE", data: ["sender": ["type": "agent"], "text": "late"]).0.jsonBody?["status"] == "ignored")
    }

    @Test func defaultIdleTTLIsADay() {
        #expect(RelayCoreConfig().sessionIdleTTLSeconds == 86_400)
    }

    // MARK: calls and timers nobody knows

    @Test func unknownCallResultsAndTimersAreHarmless() {
        var h = EngineHarness()
        let effects = h.complete(CallID(42), status: 200)
        #expect(effects.withoutLogs.isEmpty)
        #expect(effects.logs.first?.level == .warning)
        #expect(h.fire(TimerID(42)) == [])
    }

    // MARK: RecentSet (webhook de-duplication memory)

    @Test func recentSetForgetsTheOldestBeyondCapacity() {
        var set = RecentSet(capacity: 2)
        var inserted: [Bool] = []
        // "c" evicts "a"; then "a" evicts "b" and "b" evicts "c".
        for id in ["a", "a", "b", "c", "b", "c", "a", "b", "a"] { inserted.append(set.insert(id)) }
        #expect(inserted == [true, false, true, true, false, false, true, true, false])
        #expect(RecentSet(capacity: 0).capacity == 1)
    }
}
