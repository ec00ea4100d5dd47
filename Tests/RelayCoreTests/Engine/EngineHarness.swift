import CopilotAnalyzers
import HTTPModel
import RelayJSON
import Testing
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

// MARK: copilot

/// A two-article knowledge base for the copilot's knowledge tile.
let testKnowledgeBase = KnowledgeBase(documents: [
    KnowledgeBase.document(path: "kb/returns.md", markdown: "# Returns and refunds\nYou can return any item within 30 days for a full refund."),
    KnowledgeBase.document(path: "kb/delivery.md", markdown: "# Delivery times\nParcels arrive in two to four working days."),
])

/// `testConfig()` with a copilot that has a knowledge base (and card redaction, the default).
func copilotTestConfig(redaction: RedactionOptions = RedactionOptions()) -> RelayCoreConfig {
    var config = testConfig()
    config.copilot = CopilotConfig(knowledgeBase: testKnowledgeBase)
    config.copilot.analyzers.redaction = redaction
    return config
}

/// The secret `testConfig()` signs copilot links and integrator tokens with.
let devSecret = Array("dev-secret".utf8)

/// The `copilotUrl` a create-conversation call carries in `user.additionalProperties`.
func copilotURL(in request: OutboundRequest) -> String? {
    request.jsonBody?["user"]?["additionalProperties"]?.arrayValue?.first { $0["key"] == "copilotUrl" }?["value"]?.stringValue
}

/// The query of a copilot link: sessionId, userId, URLToken.
func linkQuery(_ url: String) -> [String: String] {
    guard let q = url.firstIndex(of: "?") else { return [:] }
    return QueryString.parse(url[url.index(after: q)...])
}

extension Array where Element == RelayEffect {
    /// The raw frames sent to one connection, in order.
    func texts(to connection: ConnectionID) -> [String] {
        compactMap { if case .send(let c, let text) = $0, c == connection { return text } else { return nil } }
    }
}

extension EngineHarness {
    /// hello, a returns question, then "I want an agent": returns the copilot link of the create call (call 1, in flight).
    /// Events: 1 greeting, 2 user question, 3 bot answer, 4 user "I want an agent", 5 bot handover reply, 6 handover requested.
    mutating func requestAgentWithLink(_ c: ConnectionID, question: String = "Can I return my jacket and get a refund?") throws -> String {
        _ = hello(c)
        _ = say(c, "m1", question)
        let effects = say(c, "m2", "I want an agent")
        let create = try #require(effects.calls.first)
        #expect(create.0 == CallID(1))
        return try #require(copilotURL(in: create.1))
    }

    /// The URLToken of `requestAgentWithLink`.
    mutating func requestAgentWithToken(_ c: ConnectionID) throws -> String {
        try #require(linkQuery(try requestAgentWithLink(c))["URLToken"])
    }

    /// Opens a copilot connection and subscribes it.
    mutating func watch(_ n: UInt64, session: String = "s1", token: String, lastPos: Int? = nil) -> (ConnectionID, [RelayEffect]) {
        let w = ConnectionID(n)
        engine.copilotConnected(w)
        return (w, subscribe(w, session: session, token: token, lastPos: lastPos))
    }

    mutating func subscribe(_ w: ConnectionID, session: String = "s1", token: String, lastPos: Int? = nil) -> [RelayEffect] {
        var frame: [String: JSONValue] = ["type": "subscribe", "sessionId": .string(session), "token": .string(token)]
        if let lastPos { frame["lastPos"] = JSONValue(lastPos) }
        return engine.copilotFrame(w, text: JSONValue.object(frame).serialized, now: now)
    }

    /// Makes the pending create succeed with conversation "X", then QUEUED and an agent "ag1" joining
    /// (events: queued, active).
    mutating func agentJoins(create: CallID = CallID(1)) {
        _ = complete(create, status: 202, body: ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"])
        _ = webhook("QUEUED", data: ["queueId": "q", "queueName": "Support"])
        _ = webhook("MEMBERS_CHANGED", data: ["memberType": "agent", "change": "joined", "id": "ag1"])
    }
}
