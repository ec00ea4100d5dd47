import HTTPModel
import RelayJSON
@testable import RelayCore

/// Shared fixtures for the core tests.

let t0: Int64 = 1_700_000_000_000

/// Parses a frame the engine produced; a test failure shows up as `.null`.
func json(_ text: String) -> JSONValue { (try? JSONValue.parse(text)) ?? .null }

/// The provider the brief asks for: a base URL with a path prefix, as the simulator uses.
let testProvider = GatewayProvider(name: "default", baseURL: HTTPURL("http://127.0.0.1:9/sim")!, apiKey: "k")
let testHandover = HandoverSettings(provider: "default", channelID: "c", queueID: "q")

func testConfig(retry: RetryPolicy = RetryPolicy(), bot: BotConfiguration = .rules(.default),
                handover: HandoverSettings = testHandover) -> RelayCoreConfig {
    RelayCoreConfig(providers: ["default": testProvider], handovers: ["default": handover], bot: bot, retry: retry)
}

/// An 8x8 webhook as the shell hands it to the core.
func webhookRequest(_ eventType: String, conversation: String? = "X", data: JSONValue? = nil, eventID: String? = nil,
                    timestamp: Int64 = t0) -> HTTPRequest {
    var body: [String: JSONValue] = ["eventType": .string(eventType), "timestamp": JSONValue(timestamp)]
    if let conversation { body["conversationId"] = .string(conversation) }
    if let data { body["data"] = data }
    var headers = ["Content-Type": "application/json"]
    if let eventID { headers["X-8x8-Event-Id"] = eventID }
    return HTTPRequest(method: "POST", path: "/webhooks/8x8", headers: headers, body: JSONValue.object(body).serializedBytes)
}

extension Array where Element == RelayEffect {
    /// Everything but log lines (which are free to change wording).
    var withoutLogs: [RelayEffect] {
        filter { if case .log = $0 { return false } else { return true } }
    }

    var logs: [LogRecord] {
        compactMap { if case .log(let record) = $0 { return record } else { return nil } }
    }

    /// Frames sent, parsed, with their connection.
    var sent: [(ConnectionID, JSONValue)] {
        compactMap { if case .send(let c, let text) = $0 { return (c, json(text)) } else { return nil } }
    }

    /// Frames sent to one connection, parsed.
    func frames(to connection: ConnectionID) -> [JSONValue] {
        sent.filter { $0.0 == connection }.map(\.1)
    }

    var calls: [(CallID, OutboundRequest)] {
        compactMap { if case .call(let id, let request) = $0 { return (id, request) } else { return nil } }
    }

    var schedules: [(TimerID, Int)] {
        compactMap { if case .schedule(let id, let after) = $0 { return (id, after) } else { return nil } }
    }

    var closes: [(ConnectionID, UInt16)] {
        compactMap { if case .close(let c, let code, _) = $0 { return (c, code) } else { return nil } }
    }
}
