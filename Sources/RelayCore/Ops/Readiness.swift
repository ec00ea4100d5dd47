import HTTPModel
import RelayJSON

/// `GET /readyz`: whether this relay should get traffic. Liveness
/// (`/healthz`) only says the service loop turns; readiness also needs the
/// sessions saved before a restart to be back and the event store to accept
/// writes — a relay that cannot commit holds every reply (nothing is
/// acknowledged that is not durable), so a load balancer should look elsewhere.
public struct Readiness: Equatable, Sendable {
    /// One named condition and, when it fails, why.
    public struct Check: Equatable, Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String?

        public init(name: String, ok: Bool, detail: String? = nil) {
            self.name = name
            self.ok = ok
            self.detail = detail
        }
    }

    public var checks: [Check]
    public var isReady: Bool { checks.allSatisfy(\.ok) }

    /// - Parameters:
    ///   - restored: start-up has put the saved sessions back (and resent their pending 8x8 calls).
    ///   - commitFailure: why the last commit to the event store failed; nil when it succeeded
    ///     (or none was needed yet: an idle relay's store is taken as writable).
    public init(restored: Bool, commitFailure: String?) {
        checks = [
            Check(name: "restore", ok: restored, detail: restored ? nil : "saved sessions are not restored yet"),
            Check(name: "store", ok: commitFailure == nil,
                  detail: commitFailure.map { "the last commit to the event store failed: \($0)" }),
        ]
    }

    /// 200 `{"status":"ready","checks":[…]}`, or 503 problem+json with code
    /// `not_ready`, a message naming the failed checks, and the same `checks`.
    public var response: HTTPResponse {
        let list: JSONValue = .array(checks.map { check in
            var fields: [String: JSONValue] = ["name": .string(check.name), "ok": .bool(check.ok)]
            if let detail = check.detail { fields["detail"] = .string(detail) }
            return .object(fields)
        })
        guard !isReady else { return .json(200, ["status": "ready", "checks": list]) }
        let failed = checks.filter { !$0.ok }.map(\.name).joined(separator: ", ")
        return .json(503, ["status": 503, "code": "not_ready", "message": .string("not ready: \(failed)"), "checks": list],
                     contentType: "application/problem+json")
    }
}
