import HTTPModel
import RelayJSON
import RelayStore

/// The read API: the stream's data over plain HTTP, for integrators that
/// poll or backfill. Bearer integrator token with scope `stream:read`; the
/// token's session/provider/type limits apply as on the stream.
///
/// - `GET /api/sessions` — live sessions, filtered and paged by id
/// - `GET /api/sessions/{id}` — one session's state
/// - `GET /api/sessions/{id}/events?afterSeq=&limit=` — its events from the log
/// - `GET /api/events?after=&epoch=&limit=&…filters` — the whole log by offset
extension RelayEngine {
    public static let maxPageSize = 1000

    public func readAPI(_ request: HTTPRequest, log: some EventStore, now: Int64) -> HTTPResponse {
        guard request.method == "GET" else { return .problem(405, code: "method_not_allowed", message: "the read API takes GET") }
        let token: IntegratorToken
        switch bearerToken(request, now: now) {
        case .refused(let response): return response
        case .token(let t): token = t
        }
        guard token.scopes.contains(IntegratorToken.streamScope) else {
            return .problem(403, code: "forbidden", message: "the token lacks scope '\(IntegratorToken.streamScope)'")
        }
        let scope = StreamFilter(scopeOf: token)
        guard let limit = Self.pageLimit(request.query["limit"]) else {
            return .problem(400, code: "bad_request", message: "'limit' must be an integer 1–\(Self.maxPageSize)")
        }
        let parts = request.pathSegments.map(String.init)
        do {
            switch parts.count {
            case 2 where parts[1] == "events": return try logEvents(request, scope: scope, limit: limit, log: log)
            case 2: return listSessions(request.query, scope: scope, limit: limit)
            case 3: return oneSession(SessionID(parts[2]), scope: scope)
            case 4 where parts[3] == "events": return try sessionEvents(SessionID(parts[2]), request.query, scope: scope, limit: limit, log: log)
            default: return .problem(404, code: "not_found", message: "no such read API route")
            }
        } catch {
            return .problem(503, code: "store_unavailable", message: "the event log cannot be read now; retry")
        }
    }

    /// 100 when absent; nil when invalid.
    private static func pageLimit(_ text: String?) -> Int? {
        guard let text else { return 100 }
        guard let n = Int(text), (1...maxPageSize).contains(n) else { return nil }
        return n
    }

    /// Whether the token's scope covers a live session (its provider is its handover's).
    private func visible(_ session: Session, _ scope: StreamFilter) -> Bool {
        if let sessions = scope.sessions, !sessions.contains(session.id.rawValue) { return false }
        if let providers = scope.providers, !providers.contains(session.handover?.settings.provider ?? "") { return false }
        return true
    }

    private func listSessions(_ query: [String: String], scope: StreamFilter, limit: Int) -> HTTPResponse {
        let states = query["state"].map { Set($0.split(separator: ",").map(String.init)) }
        let after = query["after"] ?? ""
        let matching = sessions.values.filter { session in
            guard session.id.rawValue > after, visible(session, scope) else { return false }
            if let provider = query["provider"], session.handover?.settings.provider != provider { return false }
            if let queue = query["queue"], session.handover?.settings.queueID != queue { return false }
            if let states, !states.contains(Self.stateName(session)) { return false }
            return true
        }.sorted { $0.id.rawValue < $1.id.rawValue }
        let page = matching.prefix(limit)
        return .json(200, [
            "sessions": .array(page.map(summary)),
            "next": matching.count > limit ? JSONValue(page.last?.id.rawValue) : .null,
        ])
    }

    /// `bot`, `ended`, or the handover's state while a human owns the chat.
    static func stateName(_ session: Session) -> String {
        if session.ended { return "ended" }
        guard let handover = session.handover, !handover.state.isTerminal else { return "bot" }
        return handover.state.name
    }

    private func oneSession(_ sid: SessionID, scope: StreamFilter) -> HTTPResponse {
        guard let session = sessions[sid], visible(session, scope) else {
            return .problem(404, code: "unknown_session", message: "no such live session (or not visible to this token)")
        }
        return .json(200, summary(session))
    }

    /// A session as the read API shows it; never its resume token or copilot link.
    func summary(_ session: Session) -> JSONValue {
        var handover: JSONValue = .null
        if let h = session.handover {
            var fields = h.state.wireFields
            fields["provider"] = .string(h.settings.provider)
            fields["channelId"] = .string(h.settings.channelID)
            fields["queueId"] = .string(h.settings.queueID)
            fields["conversationId"] = JSONValue(h.conversationID)
            handover = .object(fields)
        }
        return [
            "id": .string(session.id.rawValue), "state": .string(Self.stateName(session)), "user": ExternalBot.userJSON(session.user),
            "lastSeq": JSONValue(session.log.lastSeq), "lastEventAt": session.log.events.last.map { JSONValue($0.ts) } ?? .null,
            "connections": JSONValue(session.connections.count), "copilotWatchers": JSONValue(session.copilot.watchers.count),
            "handoverCount": JSONValue(session.handoverGeneration), "handover": handover, "ended": .bool(session.ended),
        ]
    }

    private func sessionEvents(_ sid: SessionID, _ query: [String: String], scope: StreamFilter, limit: Int,
                               log: some EventStore) throws -> HTTPResponse {
        guard let afterSeq = Int(query["afterSeq"] ?? "0"), afterSeq >= 0 else {
            return .problem(400, code: "bad_request", message: "'afterSeq' must be a non-negative integer")
        }
        guard scope.sessions?.contains(sid.rawValue) ?? true else {
            return .problem(404, code: "unknown_session", message: "no events for this session (or not visible to this token)")
        }
        let stored = try log.events(session: sid.rawValue, afterSeq: afterSeq, limit: limit + 1)
        let page = stored.prefix(limit).filter(scope.matches)
        if stored.isEmpty, sessions[sid] == nil, afterSeq == 0 {
            return .problem(404, code: "unknown_session", message: "no events for this session (or not visible to this token)")
        }
        return .json(200, [
            "sessionId": .string(sid.rawValue), "events": .array(page.map(StreamFrame.envelope)),
            "next": stored.count > limit ? JSONValue(stored[limit - 1].seq) : .null,
        ])
    }

    private func logEvents(_ request: HTTPRequest, scope: StreamFilter, limit: Int, log: some EventStore) throws -> HTTPResponse {
        let q = request.query
        guard let after = Int64(q["after"] ?? "0"), after >= 0 else {
            return .problem(400, code: "bad_request", message: "'after' must be a non-negative integer offset")
        }
        func list(_ key: String) -> Set<String>? { q[key].map { Set($0.split(separator: ",").map(String.init)) } }
        let asked = StreamFilter(sessions: list("sessions"), types: list("types"), providers: list("providers"), queues: list("queues"))
        let filter: StreamFilter
        switch asked.within(scope) {
        case .success(let narrowed): filter = narrowed
        case .failure(let forbidden): return .problem(403, code: "forbidden", message: forbidden.message)
        }
        let start: StreamHub.Start
        do {
            start = try StreamHub.resolve(.after(offset: after, epoch: q["epoch"]), log: log)
        } catch let error as StreamHub.PositionError {
            return .problem(416, code: "bad_position", message: error.message)
        }
        // Read a bounded number of rows however selective the filter: `next` says where to continue.
        let scanned = try log.events(after: start.cursor, limit: limit)
        let next = scanned.last?.offset ?? max(start.cursor, start.last)
        var body: [String: JSONValue] = [
            "epoch": .string(log.epoch), "events": .array(scanned.filter(filter.matches).map(StreamFrame.envelope)),
            "next": JSONValue(next), "lastOffset": JSONValue(start.last), "recovered": .bool(start.reason == nil),
        ]
        if let reason = start.reason { body["reason"] = .string(reason) }
        return .json(200, .object(body))
    }
}

