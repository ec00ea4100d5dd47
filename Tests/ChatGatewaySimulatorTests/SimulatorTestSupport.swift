import HTTPModel
import RelayJSON
@testable import ChatGatewaySimulator

/// Shared fixtures: a simulator plus bookkeeping of the effects it produced,
/// so tests read like a conversation between the relay, 8x8 and an agent.

let testWebhookURL = HTTPURL("http://relay.test:8080/webhooks/8x8")!
let t0: Int64 = 1_700_000_000_000

func makeSettings(tenant: String? = nil, maxAttempts: Int = 10, maxEnded: Int = 500) -> SimulatorSettings {
    SimulatorSettings(apiKey: "secret", tenant: tenant, pathPrefix: "/sim", webhookURL: testWebhookURL,
                      channels: ["demo-channel"], queues: SimulatedQueue.defaults,
                      tenantId: "tenant-1", customerId: "customer-1",
                      webhookMaxAttempts: maxAttempts, maxEndedConversations: maxEnded)
}

/// A minimal valid `POST /conversations` body.
func createBody(channel: String = "demo-channel", queue: String? = nil, extra: [String: JSONValue] = [:]) -> JSONValue {
    var body: [String: JSONValue] = [
        "channelId": .string(channel),
        "user": ["name": "Ada", "userId": "u-1", "email": "ada@example.com",
                 "additionalProperties": [["key": "copilotUrl", "value": "https://copilot.test/?s=1"]]],
        "history": ["messages": [["authorType": "user", "text": "hi"], ["authorType": "bot", "text": "hello"]]],
    ]
    if let queue { body["assignment"] = ["type": "queue", "id": .string(queue)] }
    for (key, value) in extra { body[key] = value }
    return .object(body)
}

struct Harness {
    var sim: ChatGatewaySimulator
    var nowMs: Int64 = t0
    /// Deliveries handed to the host and not yet completed.
    var inFlight: [(id: Int, request: OutboundRequest)] = []
    /// Every webhook request the host was asked to POST, in order (retries included).
    var attempts: [OutboundRequest] = []
    /// Console frames: (consoleId or nil for all, parsed JSON).
    var frames: [(console: Int?, json: JSONValue)] = []
    /// Scheduled timers, in order.
    var scheduled: [(id: Int, afterMs: Int)] = []

    init(settings: SimulatorSettings = makeSettings(), signer: (any WebhookSigner)? = nil) {
        sim = ChatGatewaySimulator(settings: settings, signer: signer)
    }

    mutating func absorb(_ effects: [SimulatorEffect]) {
        for effect in effects {
            switch effect {
            case .deliverWebhook(let id, let request):
                inFlight.append((id, request))
                attempts.append(request)
            case .pushToConsole(let console, let text):
                frames.append((console, (try? JSONValue.parse(text)) ?? .null))
            case .pushToAllConsoles(let text):
                frames.append((nil, (try? JSONValue.parse(text)) ?? .null))
            case .schedule(let id, let afterMs):
                scheduled.append((id, afterMs))
            }
        }
    }

    @discardableResult
    mutating func request(_ method: String, _ path: String, json: JSONValue? = nil, raw: String? = nil,
                          headers: [String: String] = [:], query: [String: String] = [:]) -> HTTPResponse {
        let body = raw.map { Array($0.utf8) } ?? json?.serializedBytes ?? []
        let output = sim.handle(HTTPRequest(method: method, path: path, query: query, headers: headers, body: body), nowMs: nowMs)
        absorb(output.effects)
        return output.response
    }

    /// A Chat Gateway call with the right API key.
    @discardableResult
    mutating func gw(_ method: String, _ subpath: String, json: JSONValue? = nil, raw: String? = nil,
                     headers: [String: String] = [:], query: [String: String] = [:]) -> HTTPResponse {
        var all = ["x-api-key": "secret", "content-type": "application/json"]
        for (k, v) in headers { all[k] = v }
        return request(method, "/sim/chat-gateway/v1" + subpath, json: json, raw: raw, headers: all, query: query)
    }

    /// An agent API call.
    @discardableResult
    mutating func agent(_ subpath: String, json: JSONValue? = nil, raw: String? = nil, method: String = "POST") -> HTTPResponse {
        request(method, "/sim/agent" + subpath, json: json, raw: raw)
    }

    /// The agent view of one conversation.
    mutating func agentView(_ id: String) -> JSONValue {
        request("GET", "/sim/agent/conversations/" + id).jsonBody ?? .null
    }

    /// Completes the oldest in-flight delivery with `result`.
    mutating func complete(_ result: OutboundResult = .response(status: 200, body: [])) {
        guard !inFlight.isEmpty else { return }
        let (id, _) = inFlight.removeFirst()
        absorb(sim.webhookCompleted(deliveryId: id, result: result, nowMs: nowMs))
    }

    /// Acknowledges deliveries with 200 until nothing is in flight; returns the bodies acknowledged.
    @discardableResult
    mutating func drain() -> [JSONValue] {
        var bodies: [JSONValue] = []
        while let first = inFlight.first {
            bodies.append(first.request.jsonBody ?? .null)
            complete()
        }
        return bodies
    }

    /// Creates a conversation, drains its webhooks and returns its id.
    mutating func create(queue: String? = nil) -> String {
        let response = gw("POST", "/conversations", json: createBody(queue: queue))
        drain()
        return response.jsonBody?["conversationId"]?.stringValue ?? "?"
    }

    /// Creates and accepts a conversation, draining webhooks.
    mutating func active(agentId: String = "agent-7") -> String {
        let id = create()
        agent("/conversations/\(id)/accept", json: ["agentId": .string(agentId)])
        drain()
        return id
    }

    mutating func fireTimer(_ id: Int) { absorb(sim.timerFired(id, nowMs: nowMs)) }
}

extension JSONValue {
    /// `eventType` of a webhook body, for compact sequence assertions.
    var eventType: String { self["eventType"]?.stringValue ?? "?" }
}

extension HTTPResponse {
    /// The first error code of a problem document.
    var problemCode: String? { jsonBody?["code"]?.stringValue }
}
