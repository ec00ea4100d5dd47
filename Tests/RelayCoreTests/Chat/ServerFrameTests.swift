import Testing
@testable import RelayCore

@Suite struct ServerFrameTests {
    @Test func welcomeForANewSession() {
        #expect(ServerFrame.welcome(sessionID: SessionID("s1"), resumeToken: "tok", resumed: false, lastSeq: 0, handover: nil)
                == #"{"lastSeq":0,"mode":"bot","resumeToken":"tok","resumed":false,"sessionId":"s1","type":"welcome"}"#)
    }

    @Test func welcomeDuringAHandoverCarriesTheState() {
        #expect(ServerFrame.welcome(sessionID: SessionID("s1"), resumeToken: "tok", resumed: true, lastSeq: 9,
                                    handover: .queued(queueID: "q", queueName: "Support"))
                == #"{"handover":{"queueId":"q","queueName":"Support","state":"queued"},"lastSeq":9,"mode":"handover","resumeToken":"tok","resumed":true,"sessionId":"s1","type":"welcome"}"#)
        #expect(ServerFrame.welcome(sessionID: SessionID("s1"), resumeToken: "tok", resumed: true, lastSeq: 3, handover: .active(agentID: "ag1"))
                == #"{"handover":{"agentId":"ag1","state":"active"},"lastSeq":3,"mode":"handover","resumeToken":"tok","resumed":true,"sessionId":"s1","type":"welcome"}"#)
    }

    @Test(arguments: [HandoverState.ended(by: .agent), .cancelled, .failed(reason: "x")])
    func welcomeAfterAHandoverIsBackInBotMode(state: HandoverState) {
        #expect(ServerFrame.welcome(sessionID: SessionID("s1"), resumeToken: "tok", resumed: true, lastSeq: 4, handover: state)
                == #"{"lastSeq":4,"mode":"bot","resumeToken":"tok","resumed":true,"sessionId":"s1","type":"welcome"}"#)
    }

    @Test func welcomeForAnEndedSession() {
        #expect(ServerFrame.welcome(sessionID: SessionID("s1"), resumeToken: "tok", resumed: true, lastSeq: 8, handover: .ended(by: .user), ended: true)
                == #"{"ended":true,"lastSeq":8,"mode":"bot","resumeToken":"tok","resumed":true,"sessionId":"s1","type":"welcome"}"#)
    }

    @Test func ack() {
        #expect(ServerFrame.ack(id: "m1", seq: 12) == #"{"id":"m1","seq":12,"type":"ack"}"#)
    }

    @Test func messageEvents() {
        #expect(ServerFrame.event(SessionEvent(seq: 1, ts: t0, kind: .message(.init(from: .bot, text: "Hi!"))))
                == #"{"from":"bot","seq":1,"text":"Hi!","ts":1700000000000,"type":"message"}"#)
        #expect(ServerFrame.event(SessionEvent(seq: 2, ts: t0 + 5, kind: .message(.init(from: .user, text: "yo \"q\"", clientID: "m1"))))
                == #"{"from":"user","id":"m1","seq":2,"text":"yo \"q\"","ts":1700000000005,"type":"message"}"#)
        #expect(ServerFrame.event(SessionEvent(seq: 3, ts: t0, kind: .message(.init(from: .agent, text: "Hello, Bob here", agentID: "ag1"))))
                == #"{"agentId":"ag1","from":"agent","seq":3,"text":"Hello, Bob here","ts":1700000000000,"type":"message"}"#)
        #expect(ServerFrame.event(SessionEvent(seq: 4, ts: t0, kind: .message(.init(from: .system, text: "The chat has ended."))))
                == #"{"from":"system","seq":4,"text":"The chat has ended.","ts":1700000000000,"type":"message"}"#)
    }

    @Test(arguments: [
        (HandoverState.requested(queueID: "q"), #"{"queueId":"q","seq":5,"state":"requested","ts":1700000000000,"type":"handover"}"#),
        (.queued(queueID: "q", queueName: "Support"), #"{"queueId":"q","queueName":"Support","seq":5,"state":"queued","ts":1700000000000,"type":"handover"}"#),
        (.queued(queueID: "q", queueName: nil), #"{"queueId":"q","queueName":null,"seq":5,"state":"queued","ts":1700000000000,"type":"handover"}"#),
        (.active(agentID: "ag1"), #"{"agentId":"ag1","seq":5,"state":"active","ts":1700000000000,"type":"handover"}"#),
        (.transferred, #"{"seq":5,"state":"transferred","ts":1700000000000,"type":"handover"}"#),
        (.ended(by: .agent), #"{"by":"agent","seq":5,"state":"ended","ts":1700000000000,"type":"handover"}"#),
        (.ended(by: .user), #"{"by":"user","seq":5,"state":"ended","ts":1700000000000,"type":"handover"}"#),
        (.cancelled, #"{"seq":5,"state":"cancelled","ts":1700000000000,"type":"handover"}"#),
        (.failed(reason: "8x8 answered 500"), #"{"reason":"8x8 answered 500","seq":5,"state":"failed","ts":1700000000000,"type":"handover"}"#),
    ] as [(HandoverState, String)])
    func handoverEvents(state: HandoverState, expected: String) {
        #expect(ServerFrame.event(SessionEvent(seq: 5, ts: t0, kind: .handover(state))) == expected)
    }

    @Test func typing() {
        #expect(ServerFrame.typing(from: .agent, active: true) == #"{"active":true,"from":"agent","type":"typing"}"#)
        #expect(ServerFrame.typing(from: .agent, active: false) == #"{"active":false,"from":"agent","type":"typing"}"#)
    }

    @Test func errors() {
        #expect(ServerFrame.error(ChatProtocolError(.unknownType, "unknown frame type 'x'"))
                == #"{"code":"unknown_type","message":"unknown frame type 'x'","type":"error"}"#)
        #expect(ServerFrame.error(ChatProtocolError(.badFrame, "'text' is empty", ref: "m1"))
                == #"{"code":"bad_frame","message":"'text' is empty","ref":"m1","type":"error"}"#)
    }
}
