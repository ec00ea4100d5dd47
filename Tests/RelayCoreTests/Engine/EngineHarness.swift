import HTTPModel
import RelayJSON
@testable import RelayCore

/// A relay engine driven like the shell drives it, without sockets: frames in,
/// effects out. Deterministic ids: session "s1", resume token "secret-2", calls
/// and timers numbered from 1.
struct EngineHarness {
    var engine: RelayEngine
    var now: Int64 = t0
    var nextEventID = 1

    init(config: RelayCoreConfig = testConfig()) {
        engine = RelayEngine(config: config, identifiers: SequentialIdentifiers())
    }

    var s1: Session { engine.session(SessionID("s1"))! }

    mutating func connect(_ n: UInt64) -> ConnectionID {
        let c = ConnectionID(n)
        engine.chatConnected(c)
        return c
    }

    mutating func frame(_ c: ConnectionID, _ text: String) -> [RelayEffect] {
        engine.chatFrame(c, text: text, now: now)
    }

    mutating func frame(_ c: ConnectionID, _ value: JSONValue) -> [RelayEffect] {
        frame(c, value.serialized)
    }

    mutating func hello(_ c: ConnectionID, name: String = "Ada") -> [RelayEffect] {
        frame(c, ["type": "hello", "user": ["name": .string(name)]])
    }

    mutating func say(_ c: ConnectionID, _ id: String, _ text: String) -> [RelayEffect] {
        frame(c, ["type": "message", "id": .string(id), "text": .string(text)])
    }

    /// Posts a webhook; each gets a fresh `x-8x8-event-id` unless one is given.
    mutating func webhook(_ eventType: String, conversation: String? = "X", data: JSONValue? = nil,
                          eventID: String? = nil) -> (HTTPResponse, [RelayEffect]) {
        let id = eventID ?? "evt-\(nextEventID)"
        nextEventID += 1
        return engine.webhook(webhookRequest(eventType, conversation: conversation, data: data, eventID: id, timestamp: now), now: now)
    }

    mutating func complete(_ call: CallID, _ result: OutboundResult) -> [RelayEffect] {
        engine.callCompleted(call, result: result, now: now)
    }

    mutating func complete(_ call: CallID, status: Int, body: JSONValue? = nil) -> [RelayEffect] {
        complete(call, .response(status: status, body: body?.serializedBytes ?? []))
    }

    mutating func fire(_ timer: TimerID) -> [RelayEffect] {
        engine.timerFired(timer, now: now)
    }

    // MARK: canned steps

    /// hello + "I want an agent": returns the create call (call 1), in flight.
    /// Events so far: 1 greeting, 2 user message, 3 bot reply, 4 handover requested.
    mutating func requestAgent(_ c: ConnectionID) -> CallID {
        _ = hello(c)
        _ = say(c, "m1", "I want an agent")
        return CallID(1)
    }

    /// …and 8x8 created conversation "X", queued it and an agent "ag1" joined.
    /// Events: 5 queued, 6 active.
    mutating func activeHandover(_ c: ConnectionID) {
        let create = requestAgent(c)
        _ = complete(create, status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        _ = webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        _ = webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
    }
}

/// Expected wire frames, built the same way the engine builds them.
func messageFrame(_ seq: Int, _ from: Author, _ text: String, id: String? = nil, agentID: String? = nil, ts: Int64 = t0) -> String {
    ServerFrame.event(SessionEvent(seq: seq, ts: ts, kind: .message(.init(from: from, text: text, clientID: id, agentID: agentID))))
}

func handoverFrame(_ seq: Int, _ state: HandoverState, ts: Int64 = t0) -> String {
    ServerFrame.event(SessionEvent(seq: seq, ts: ts, kind: .handover(state)))
}

func errorFrame(_ code: ChatErrorCode, _ message: String, ref: String? = nil) -> String {
    ServerFrame.error(ChatProtocolError(code, message, ref: ref))
}

let script = RuleBotScript.default
let greetingForAda = "Hi Ada! I'm the virtual assistant. Ask me about orders, delivery, returns or opening hours — or say \"agent\" any time to talk to a person."

/// The 8x8 calls the test provider makes.
let gatewayBase = "http://127.0.0.1:9/sim/chat-gateway/v1"
let gateway = GatewayRequests(provider: testProvider)
