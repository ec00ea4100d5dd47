import HTTPModel
import RelayJSON

/// One injected failure: the next `remaining` Chat Gateway calls whose
/// "METHOD path" starts with `match` answer `status` without side effects.
///
/// Lets relay tests provoke 8x8 outages and error paths deterministically.
struct FaultRule: Sendable, Equatable {
    var status: Int
    var remaining: Int
    var match: String

    var json: JSONValue { ["status": JSONValue(status), "count": JSONValue(remaining), "match": .string(match)] }
}

/// Counters for benchmarks and test assertions.
///
/// Calls are keyed by "METHOD /route-template" so a benchmark can tell how many
/// Chat Gateway calls each relay operation costs.
struct SimulatorStats: Sendable, Equatable {
    var calls: [String: Int] = [:]
    var webhooksEnqueued = 0
    var webhooksDelivered = 0
    var webhookAttempts = 0
    var webhookFailures = 0
    var webhooksDropped = 0

    mutating func count(_ key: String) { calls[key, default: 0] += 1 }
}

extension ChatGatewaySimulator {
    /// Largest accepted fault count, so a typo cannot make a fault effectively permanent by overflow.
    static let maxFaultCount = 1_000_000

    /// Dispatches `{prefix}/admin/faults`, `{prefix}/admin/stats` and `{prefix}/admin/keys/{kid}`.
    mutating func admin(_ request: HTTPRequest, _ segments: [String]) throws(Problem) -> HTTPResponse {
        let method = request.method
        let path = "/admin/" + segments.joined(separator: "/")
        if segments.count == 2, segments[0] == "keys" {
            guard method == "PUT" else { throw Problem.methodNotAllowed(method, path) }
            return try registerKey(segments[1], try jsonObjectBody(request.body))
        }
        switch (segments, method) {
        case (["faults"], "POST"):
            faults.append(try Self.parseFault(try jsonObjectBody(request.body)))
            return .json(200, faultsJSON)
        case (["faults"], "GET"):
            return .json(200, faultsJSON)
        case (["faults"], "DELETE"):
            faults.removeAll()
            return .noContent()
        case (["stats"], "GET"):
            return .json(200, statsJSON)
        case (["stats"], "DELETE"):
            stats = SimulatorStats()
            return .noContent()
        case (["faults"], _), (["stats"], _):
            throw Problem.methodNotAllowed(method, path)
        default:
            throw Problem.noRoute(method, path)
        }
    }

    /// `PUT /admin/keys/{kid}` with a public JWK: tests that post webhooks
    /// themselves sign with their own key, and the relay fetches it from here
    /// as it would from 8x8. Only public RSA members are kept.
    mutating func registerKey(_ kid: String, _ jwk: [String: JSONValue]) throws(Problem) -> HTTPResponse {
        guard jwk["kty"] == "RSA", let n = jwk["n"]?.stringValue, let e = jwk["e"]?.stringValue else {
            throw Problem.invalid([ProblemDetail(code: "INVALID_VALUE", message: "body must be a public RSA JWK (kty, n, e)")])
        }
        guard extraKeys.count < 100 || extraKeys[kid] != nil else { throw Problem.conflict("at most 100 test keys") }
        extraKeys[kid] = ["kty": "RSA", "kid": .string(kid), "n": .string(n), "e": .string(e), "alg": "RS256", "use": "sig"]
        return .noContent()
    }

    /// Validates `{"status":500,"count":1,"match":"POST /conversations"}` (count and match optional).
    static func parseFault(_ body: [String: JSONValue]) throws(Problem) -> FaultRule {
        var v = Validator()
        var status = 500
        if let value = body["status"], let code = value.intValue, (400...599).contains(code) {
            status = code
        } else {
            v.fail("INVALID_VALUE", "status is required and must be an HTTP error status (400-599)")
        }
        var count = 1
        if let value = body["count"], value != .null {
            if let n = value.intValue, n >= 1 {
                count = min(n, maxFaultCount)
            } else {
                v.fail("INVALID_VALUE", "count must be a positive integer")
            }
        }
        let match = v.string(body, "match", path: "match") ?? ""
        try v.check()
        return FaultRule(status: status, remaining: count, match: match)
    }

    /// The status of the first fault matching this "METHOD path", consuming one use of it.
    mutating func consumeFault(for call: String) -> Int? {
        guard let index = faults.firstIndex(where: { call.hasPrefix($0.match) }) else { return nil }
        let status = faults[index].status
        faults[index].remaining -= 1
        if faults[index].remaining <= 0 { faults.remove(at: index) }
        return status
    }

    /// `{"faults":[{status,count,match}]}` with the remaining counts.
    var faultsJSON: JSONValue { ["faults": .array(faults.map(\.json))] }

    /// Call counts, webhook counters and conversation counts by state.
    var statsJSON: JSONValue {
        var byState: [String: Int] = ["queued": 0, "active": 0, "ended": 0]
        for conversation in conversations.values { byState[conversation.state.rawValue, default: 0] += 1 }
        return [
            "calls": .object(stats.calls.mapValues { JSONValue($0) }),
            "webhooks": [
                "enqueued": JSONValue(stats.webhooksEnqueued),
                "delivered": JSONValue(stats.webhooksDelivered),
                "attempts": JSONValue(stats.webhookAttempts),
                "failures": JSONValue(stats.webhookFailures),
                "dropped": JSONValue(stats.webhooksDropped),
                "pending": JSONValue(outbox.pendingCount),
            ],
            "conversations": .object(byState.mapValues { JSONValue($0) }),
        ]
    }
}
