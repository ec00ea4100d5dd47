import RelayJSON
import Testing
@testable import RelayCore

@Suite struct CopilotFrameTests {
    let tile = CopilotTile(id: "crm", kind: "markdown", title: "CRM", position: TilePosition(x: 0, y: 6, w: 6, h: 2),
                           data: ["markdown": "Gold"], updatedAt: 7, source: .integrator)
    let tileJSON = #"{"data":{"markdown":"Gold"},"id":"crm","kind":"markdown","position":{"h":2,"w":6,"x":0,"y":6},"source":"integrator","title":"CRM","updatedAt":7}"#

    @Test func snapshot() {
        let frame = CopilotFrame.snapshot(
            pos: 12, sessionID: SessionID("s1"), user: ["name": "Ada", "email": "ada@example.com"],
            layout: CopilotLayout(columns: 12, rowHeight: 110, tiles: ["crm": TilePosition(x: 0, y: 0, w: 6, h: 2)]),
            tiles: [tile], transcript: [["seq": 1, "from": "bot", "text": "Hi \"Ada\"", "ts": 1_700_000_000_000]],
            handover: SessionEvent(seq: 6, ts: 5, kind: .handover(.queued(queueID: "q", queueName: "Support"))))
        #expect(frame == #"{"handover":{"queueId":"q","queueName":"Support","seq":6,"state":"queued","ts":5},"layout":{"columns":12,"rowHeight":110,"tiles":{"crm":{"h":2,"w":6,"x":0,"y":0}}},"pos":12,"session":{"id":"s1","user":{"email":"ada@example.com","name":"Ada"}},"tiles":["# + tileJSON + #"],"transcript":[{"from":"bot","seq":1,"text":"Hi \"Ada\"","ts":1700000000000}],"type":"snapshot"}"#)
    }

    @Test func snapshotWithoutHandoverHasNull() {
        let frame = CopilotFrame.snapshot(pos: 0, sessionID: SessionID("s9"), user: [:], layout: CopilotLayout(columns: 1, rowHeight: 20, tiles: [:]),
                                          tiles: [], transcript: [], handover: nil)
        #expect(frame == #"{"handover":null,"layout":{"columns":1,"rowHeight":20,"tiles":{}},"pos":0,"session":{"id":"s9","user":{}},"tiles":[],"transcript":[],"type":"snapshot"}"#)
    }

    @Test func resumed() {
        #expect(CopilotFrame.resumed(pos: 42) == #"{"pos":42,"type":"resumed"}"#)
    }

    @Test func tileFrame() {
        #expect(CopilotFrame.tile(pos: 3, tile) == #"{"pos":3,"tile":"# + tileJSON + #","type":"tile"}"#)
    }

    @Test func tileRemoved() {
        #expect(CopilotFrame.tileRemoved(pos: 4, id: "crm") == #"{"id":"crm","pos":4,"type":"tile_removed"}"#)
    }

    @Test func transcript() {
        let message: JSONValue = ["seq": 7, "from": "agent", "text": "Hi, I'm Bob", "ts": 5, "agentId": "ag1"]
        #expect(CopilotFrame.transcript(pos: 5, message: message)
                == #"{"message":{"agentId":"ag1","from":"agent","seq":7,"text":"Hi, I'm Bob","ts":5},"pos":5,"type":"transcript"}"#)
    }

    @Test(arguments: [
        (HandoverState.requested(queueID: "q"), #"{"handover":{"queueId":"q","seq":9,"state":"requested","ts":1700000000000},"pos":6,"type":"handover"}"#),
        (.queued(queueID: "q", queueName: nil), #"{"handover":{"queueId":"q","queueName":null,"seq":9,"state":"queued","ts":1700000000000},"pos":6,"type":"handover"}"#),
        (.active(agentID: "ag1"), #"{"handover":{"agentId":"ag1","seq":9,"state":"active","ts":1700000000000},"pos":6,"type":"handover"}"#),
        (.transferred, #"{"handover":{"seq":9,"state":"transferred","ts":1700000000000},"pos":6,"type":"handover"}"#),
        (.ended(by: .agent), #"{"handover":{"by":"agent","seq":9,"state":"ended","ts":1700000000000},"pos":6,"type":"handover"}"#),
        (.cancelled, #"{"handover":{"seq":9,"state":"cancelled","ts":1700000000000},"pos":6,"type":"handover"}"#),
        (.failed(reason: "x"), #"{"handover":{"reason":"x","seq":9,"state":"failed","ts":1700000000000},"pos":6,"type":"handover"}"#),
    ])
    func handover(state: HandoverState, expected: String) {
        #expect(CopilotFrame.handover(pos: 6, SessionEvent(seq: 9, ts: 1_700_000_000_000, kind: .handover(state))) == expected)
    }

    @Test func handoverFieldsAreThoseOfTheChatEvent() throws {
        let event = SessionEvent(seq: 4, ts: 1_700_000_000_000, kind: .handover(.active(agentID: "ag1")))
        var chat = try #require(json(ServerFrame.event(event)).objectValue)
        chat["type"] = nil
        #expect(CopilotFrame.handoverFields(event) == .object(chat))
        #expect(json(CopilotFrame.handover(pos: 1, event))["handover"] == .object(chat))
    }

    @Test func aMessageEventHasNoHandoverFields() {
        let message = SessionEvent(seq: 1, ts: 1, kind: .message(.init(from: .user, text: "hi")))
        #expect(CopilotFrame.handoverFields(message) == nil)
        #expect(CopilotFrame.snapshot(pos: 0, sessionID: SessionID("s1"), user: [:], layout: .default, tiles: [], transcript: [],
                                      handover: message).contains(#""handover":null"#))
    }

    @Test func error() {
        #expect(CopilotFrame.error(code: "bad_token", message: "this copilot link is not valid")
                == #"{"code":"bad_token","message":"this copilot link is not valid","type":"error"}"#)
    }

    @Test func closeCodes() {
        #expect(CopilotCloseCode.badFrame == 4400)
        #expect(CopilotCloseCode.badToken == 4401)
        #expect(CopilotCloseCode.unknownSession == 4404)
    }
}

@Suite struct CopilotSubscribeTests {
    @Test func minimal() {
        #expect(CopilotSubscribe.decode(#"{"type":"subscribe","sessionId":"s1","token":"abc.def"}"#)
                == CopilotSubscribe(sessionID: SessionID("s1"), token: "abc.def", lastPos: nil))
    }

    @Test(arguments: [
        (#"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":0}"#, 0),
        (#"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":17}"#, 17),
        (#"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":1e3}"#, 1000),
    ])
    func withLastPos(text: String, lastPos: Int) {
        #expect(CopilotSubscribe.decode(text) == CopilotSubscribe(sessionID: SessionID("s1"), token: "t", lastPos: lastPos))
    }

    @Test func nullLastPosMeansNone() {
        #expect(CopilotSubscribe.decode(#"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":null}"#)?.lastPos == nil)
    }

    @Test func unknownFieldsAreIgnored() {
        #expect(CopilotSubscribe.decode(#"{"type":"subscribe","sessionId":"s1","token":"t","client":"tab-2"}"#)
                == CopilotSubscribe(sessionID: SessionID("s1"), token: "t", lastPos: nil))
    }

    /// An empty token is a subscribe (the token check refuses it with `bad_token`, not `bad_frame`).
    @Test func emptyTokenDecodes() {
        #expect(CopilotSubscribe.decode(#"{"type":"subscribe","sessionId":"s1","token":""}"#)?.token == "")
    }

    /// A missing token is still a subscribe: the token check refuses it with `bad_token` (PROTOCOL.md: "token missing").
    @Test(arguments: [#"{"type":"subscribe","sessionId":"s1"}"#, #"{"type":"subscribe","sessionId":"s1","token":null}"#])
    func missingTokenDecodesAsEmpty(text: String) {
        #expect(CopilotSubscribe.decode(text) == CopilotSubscribe(sessionID: SessionID("s1"), token: "", lastPos: nil))
    }

    @Test func limits() {
        let longID = String(repeating: "a", count: 128)
        #expect(CopilotSubscribe.decode(#"{"type":"subscribe","sessionId":"\#(longID)","token":"t"}"#)?.sessionID == SessionID(longID))
        let longToken = String(repeating: "t", count: 4096)
        #expect(CopilotSubscribe.decode(#"{"type":"subscribe","sessionId":"s1","token":"\#(longToken)"}"#)?.token == longToken)
    }

    @Test(arguments: [
        "",
        "subscribe",
        "{",
        "[]",
        "null",
        #"{"sessionId":"s1","token":"t"}"#,
        #"{"type":"hello","sessionId":"s1","token":"t"}"#,
        #"{"type":"SUBSCRIBE","sessionId":"s1","token":"t"}"#,
        #"{"type":"subscribe","token":"t"}"#,
        #"{"type":"subscribe","sessionId":"","token":"t"}"#,
        #"{"type":"subscribe","sessionId":1,"token":"t"}"#,
        #"{"type":"subscribe","sessionId":null,"token":"t"}"#,
        #"{"type":"subscribe","sessionId":"s1","token":42}"#,
        #"{"type":"subscribe","sessionId":"s1","token":["t"]}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":-1}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":1.5}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":"3"}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"t","lastPos":true}"#,
        #"{"type":"subscribe","sessionId":"\#(String(repeating: "a", count: 129))","token":"t"}"#,
        #"{"type":"subscribe","sessionId":"s1","token":"\#(String(repeating: "t", count: 4097))"}"#,
    ])
    func invalid(text: String) {
        #expect(CopilotSubscribe.decode(text) == nil)
    }
}
