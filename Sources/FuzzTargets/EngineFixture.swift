import HTTPModel
import RelayCore
import RelayJSON

/// A relay engine in the state where outside input reaches the most code: one
/// chat session (connection 1) with an active 8x8 handover on conversation "X"
/// (agent "ag1"), plus a connected client that has not said hello (connection 2).
/// Built the way the shell drives the engine, with deterministic identifiers.
struct EngineFixture {
    var engine: RelayEngine
    let now: Int64 = 1_700_000_000_000
    let session = ConnectionID(1)
    let fresh = ConnectionID(2)

    /// Built once; each input gets a copy (the engine is a value), which keeps
    /// libFuzzer at thousands of inputs a second. Never mutated itself.
    static let prototype = EngineFixture()

    private init() {
        let provider = GatewayProvider(name: "default", baseURL: HTTPURL("http://127.0.0.1:9/sim")!, apiKey: "k")
        let config = RelayCoreConfig(providers: ["default": provider],
                                     handovers: ["default": HandoverSettings(provider: "default", channelID: "c", queueID: "q")])
        engine = RelayEngine(config: config, identifiers: SequentialIdentifiers())
        engine.chatConnected(session)
        engine.chatConnected(fresh)
        _ = engine.chatFrame(session, text: #"{"type":"hello","user":{"name":"Ada"}}"#, now: now)
        _ = engine.chatFrame(session, text: #"{"type":"message","id":"m1","text":"I want an agent"}"#, now: now)
        // The create-conversation call is the engine's first outbound call.
        let created: JSONValue = ["conversationId": "X", "createdAt": "2024-01-01T00:00:00Z"]
        _ = engine.callCompleted(CallID(1), result: .response(status: 202, body: created.serializedBytes), now: now)
        _ = webhook(#"{"eventType":"QUEUED","conversationId":"X","data":{"queueId":"q","queueName":"Support"}}"#, id: "e1")
        _ = webhook(#"{"eventType":"MEMBERS_CHANGED","conversationId":"X","data":{"memberType":"agent","change":"joined","id":"ag1"}}"#, id: "e2")
    }

    mutating func webhook(_ body: String, id: String) -> (HTTPResponse, [RelayEffect]) {
        engine.webhook(HTTPRequest(method: "POST", path: "/webhooks/8x8", headers: ["x-8x8-event-id": id], body: Array(body.utf8)), now: now)
    }
}
