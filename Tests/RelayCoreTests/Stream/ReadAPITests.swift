import HTTPModel
import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// The read API over an engine driven through four sessions, its changes committed to an in-memory log:
///
/// - s1: handover active with agent ag1 on provider "default", queue "q", conversation "X" (seq 1–6)
/// - s3: bot only, one FAQ answered (seq 1–3)
/// - s5: handover requested, create call in flight (seq 1–4)
/// - s7: ended by the user (seq 1–2)
struct ReadAPIFixture {
    var h = EngineHarness()
    let store = InMemoryStore(epoch: "e1")

    init() throws {
        let c1 = h.connect(1)
        h.activeHandover(c1)
        let c2 = h.connect(2)
        _ = h.hello(c2, name: "Bob")
        _ = h.say(c2, "b1", "What are your opening hours?")
        let c3 = h.connect(3)
        _ = h.hello(c3, name: "Cy")
        _ = h.say(c3, "c1", "I want an agent")
        let c4 = h.connect(4)
        _ = h.hello(c4, name: "Di")
        _ = h.frame(c4, ["type": "end"])
        try h.commit(to: store)
    }

    func get(_ path: String, _ query: [String: String] = [:], token: String? = streamToken(), log: (any EventStore)? = nil) -> HTTPResponse {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let request = HTTPRequest(method: "GET", path: path, query: query, headers: headers)
        if let log { return h.engine.readAPI(request, log: log, now: h.now) }
        return h.engine.readAPI(request, log: store, now: h.now)
    }

    func body(_ path: String, _ query: [String: String] = [:], token: String? = streamToken()) -> JSONValue {
        let response = get(path, query, token: token)
        #expect(response.status == 200, "\(path) \(query): \(String(decoding: response.body, as: UTF8.self))")
        return response.jsonBody ?? .null
    }

    func ids(_ query: [String: String] = [:], token: String = streamToken()) -> [String] {
        body("/api/sessions", query, token: token)["sessions"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    func offsets(_ response: JSONValue) -> [Int64] {
        response["events"]?.arrayValue?.compactMap { $0["offset"]?.int64Value } ?? []
    }

    func seqs(_ response: JSONValue) -> [Int] {
        response["events"]?.arrayValue?.compactMap { $0["seq"]?.intValue } ?? []
    }

    /// Offsets of one session's events in the log.
    func logOffsets(_ session: String, kind: String? = nil) throws -> [Int64] {
        try store.everything().filter { $0.sessionID == session && (kind == nil || $0.kind == kind) }.map(\.offset)
    }
}

/// A problem response's status and code.
func problem(_ response: HTTPResponse) -> (Int, String?) {
    (response.status, response.jsonBody?["code"]?.stringValue)
}

@Suite struct ReadAPITests {
    // MARK: authorisation and request checks

    @Test func withoutABearerTokenIs401() throws {
        let f = try ReadAPIFixture()
        for path in ["/api/sessions", "/api/sessions/s1", "/api/sessions/s1/events", "/api/events"] {
            let response = f.get(path, token: nil)
            #expect(response.status == 401)
            #expect(response.contentType == "application/problem+json")
            #expect(response.jsonBody == ["status": 401, "code": "unauthorized", "message": "an integrator bearer token is required"])
        }
        let basic = f.h.engine.readAPI(HTTPRequest(method: "GET", path: "/api/sessions", headers: ["Authorization": "Basic YTpi"]),
                                       log: f.store, now: f.h.now)
        #expect(problem(basic) == (401, "unauthorized"))
    }

    @Test func aBadOrExpiredTokenIs401() throws {
        let f = try ReadAPIFixture()
        #expect(f.get("/api/sessions", token: "nope").jsonBody?["message"] == "the token is not valid")
        #expect(problem(f.get("/api/sessions", token: streamToken(secret: Array("other".utf8)))) == (401, "unauthorized"))
        let expired = f.get("/api/events", token: streamToken(expiresAt: t0 / 1000))
        #expect(problem(expired) == (401, "unauthorized"))
        #expect(expired.jsonBody?["message"] == "the token has expired")
        // The scheme is case-insensitive.
        let lower = f.h.engine.readAPI(HTTPRequest(method: "GET", path: "/api/sessions", headers: ["Authorization": "bearer \(streamToken())"]),
                                       log: f.store, now: f.h.now)
        #expect(lower.status == 200)
    }

    @Test func aTokenWithoutTheStreamScopeIs403() throws {
        let f = try ReadAPIFixture()
        let response = f.get("/api/sessions", token: streamToken(scopes: [IntegratorToken.tilesScope]))
        #expect(response.status == 403)
        #expect(response.jsonBody?["message"] == "the token lacks scope 'stream:read'")
    }

    @Test func onlyGETIsAllowed() throws {
        let f = try ReadAPIFixture()
        for method in ["POST", "PUT", "DELETE", "patch"] {
            let request = HTTPRequest(method: method, path: "/api/sessions", headers: ["Authorization": "Bearer \(streamToken())"])
            #expect(problem(f.h.engine.readAPI(request, log: f.store, now: f.h.now)) == (405, "method_not_allowed"))
        }
        // Even without a token: the method is checked first.
        #expect(problem(f.h.engine.readAPI(HTTPRequest(method: "POST", path: "/api/events"), log: f.store, now: f.h.now)) == (405, "method_not_allowed"))
    }

    @Test func badPagingParametersAre400() throws {
        let f = try ReadAPIFixture()
        for limit in ["0", "1001", "-5", "ten", ""] {
            let response = f.get("/api/sessions", ["limit": limit])
            #expect(problem(response) == (400, "bad_request"), "limit=\(limit)")
            #expect(response.jsonBody?["message"] == "'limit' must be an integer 1–1000")
        }
        #expect(f.get("/api/sessions", ["limit": "1000"]).status == 200)
        #expect(f.get("/api/sessions", ["limit": "1"]).status == 200)
        for after in ["-1", "abc", "1.5"] {
            let response = f.get("/api/events", ["after": after])
            #expect(problem(response) == (400, "bad_request"), "after=\(after)")
            #expect(response.jsonBody?["message"] == "'after' must be a non-negative integer offset")
        }
        for afterSeq in ["-1", "x"] {
            let response = f.get("/api/sessions/s1/events", ["afterSeq": afterSeq])
            #expect(problem(response) == (400, "bad_request"), "afterSeq=\(afterSeq)")
            #expect(response.jsonBody?["message"] == "'afterSeq' must be a non-negative integer")
        }
    }

    @Test func unknownRoutesAre404() throws {
        let f = try ReadAPIFixture()
        for path in ["/api", "/api/sessions/s1/transcript", "/api/sessions/s1/events/1"] {
            #expect(problem(f.get(path)) == (404, "not_found"), "\(path)")
        }
    }

    // MARK: GET /api/sessions

    @Test func listsLiveSessionsOrderedById() throws {
        let f = try ReadAPIFixture()
        let list = f.body("/api/sessions")
        #expect(f.ids() == ["s1", "s3", "s5", "s7"])
        #expect(list["next"] == .null)
        let states = list["sessions"]?.arrayValue?.compactMap { $0["state"]?.stringValue }
        #expect(states == ["active", "bot", "requested", "ended"])
    }

    @Test func filtersByStateProviderAndQueue() throws {
        let f = try ReadAPIFixture()
        #expect(f.ids(["state": "bot"]) == ["s3"])
        #expect(f.ids(["state": "active,requested"]) == ["s1", "s5"])
        #expect(f.ids(["state": "ended"]) == ["s7"])
        #expect(f.ids(["state": "queued"]) == [])
        #expect(f.ids(["provider": "default"]) == ["s1", "s5"])
        #expect(f.ids(["provider": "acme"]) == [])
        #expect(f.ids(["queue": "q"]) == ["s1", "s5"])
        #expect(f.ids(["state": "active", "provider": "default"]) == ["s1"])
    }

    @Test func pagesByIdWithNext() throws {
        let f = try ReadAPIFixture()
        var page = f.body("/api/sessions", ["limit": "2"])
        #expect(f.ids(["limit": "2"]) == ["s1", "s3"])
        #expect(page["next"] == "s3")
        page = f.body("/api/sessions", ["limit": "2", "after": "s3"])
        #expect(f.ids(["limit": "2", "after": "s3"]) == ["s5", "s7"])
        #expect(page["next"] == .null, "exactly the last page")
        #expect(f.ids(["after": "s7"]) == [])
        #expect(f.ids(["limit": "1", "after": "s1", "state": "bot,ended"]) == ["s3"])
        #expect(f.body("/api/sessions", ["limit": "1", "after": "s1", "state": "bot,ended"])["next"] == "s3")
    }

    @Test func theTokensScopeLimitsTheList() throws {
        let f = try ReadAPIFixture()
        #expect(f.ids(token: streamToken(sessions: ["s3", "s7", "s99"])) == ["s3", "s7"])
        // A provider scope shows only sessions handed over on that provider.
        #expect(f.ids(token: streamToken(providers: ["default"])) == ["s1", "s5"])
        #expect(f.ids(token: streamToken(providers: ["acme"])) == [])
    }

    // MARK: GET /api/sessions/{id}

    @Test func oneSessionShowsItsStateAndHandover() throws {
        let f = try ReadAPIFixture()
        #expect(f.body("/api/sessions/s1") == [
            "id": "s1", "state": "active", "user": ["name": "Ada"], "lastSeq": 6, "lastEventAt": .number(Double(t0)),
            "connections": 1, "copilotWatchers": 0, "handoverCount": 1, "ended": false,
            "handover": [
                "state": "active", "agentId": "ag1", "provider": "default", "channelId": "c", "queueId": "q", "conversationId": "X",
            ],
        ])
        let requested = f.body("/api/sessions/s5")
        #expect(requested["state"] == "requested")
        #expect(requested["handover"] == ["state": "requested", "queueId": "q", "provider": "default", "channelId": "c", "conversationId": nil])
        let bot = f.body("/api/sessions/s3")
        #expect(bot["handover"] == .null)
        #expect(bot["handoverCount"] == 0)
        #expect(bot["lastSeq"] == 3)
        let ended = f.body("/api/sessions/s7")
        #expect(ended["state"] == "ended")
        #expect(ended["ended"] == true)
    }

    @Test func neverShowsTheResumeTokenOrCopilotLink() throws {
        let f = try ReadAPIFixture()
        for path in ["/api/sessions", "/api/sessions/s1", "/api/sessions/s5"] {
            let text = String(decoding: f.get(path).body, as: UTF8.self)
            #expect(!text.contains("secret-"), "\(path)")
            #expect(!text.contains("resumeToken"), "\(path)")
            #expect(!text.contains("URLToken"), "\(path)")
            #expect(!text.contains("copilot/"), "\(path)")
        }
        #expect(f.h.s1.resumeToken == "secret-2")
    }

    @Test func anUnknownOrInvisibleSessionIs404() throws {
        let f = try ReadAPIFixture()
        #expect(problem(f.get("/api/sessions/nope")) == (404, "unknown_session"))
        #expect(problem(f.get("/api/sessions/s3", token: streamToken(sessions: ["s1"]))) == (404, "unknown_session"))
        #expect(problem(f.get("/api/sessions/s3", token: streamToken(providers: ["default"]))) == (404, "unknown_session"))
        #expect(f.get("/api/sessions/s1", token: streamToken(sessions: ["s1"])).status == 200)
    }

    // MARK: GET /api/sessions/{id}/events

    @Test func sessionEventsComeFromTheLog() throws {
        let f = try ReadAPIFixture()
        let response = f.body("/api/sessions/s1/events")
        #expect(response["sessionId"] == "s1")
        #expect(response["next"] == .null)
        let events = try #require(response["events"]?.arrayValue)
        // The same events the engine holds, in the stream's envelope.
        #expect(events.map { $0["event"] ?? .null } == f.h.s1.log.events.map(\.wire))
        #expect(events.map { $0["offset"]?.int64Value ?? 0 } == (try f.logOffsets("s1")))
        #expect(events.allSatisfy { $0["type"] == "event" && $0["sessionId"] == "s1" })
        // Events logged after the handover started carry its provider and queue.
        #expect(events.map { $0["provider"] ?? .null } == [nil, nil, nil, "default", "default", "default"])
        #expect(events[3]["queue"] == "q")
    }

    @Test func sessionEventsArePagedBySeq() throws {
        let f = try ReadAPIFixture()
        var page = f.body("/api/sessions/s1/events", ["limit": "2"])
        #expect(f.seqs(page) == [1, 2])
        #expect(page["next"] == 2)
        page = f.body("/api/sessions/s1/events", ["limit": "2", "afterSeq": "2"])
        #expect(f.seqs(page) == [3, 4])
        #expect(page["next"] == 4)
        page = f.body("/api/sessions/s1/events", ["limit": "2", "afterSeq": "4"])
        #expect(f.seqs(page) == [5, 6])
        #expect(page["next"] == .null)
        page = f.body("/api/sessions/s1/events", ["afterSeq": "6"])
        #expect(f.seqs(page) == [])
        #expect(page["next"] == .null)
    }

    @Test func sessionEventsRespectTheTokensScope() throws {
        let f = try ReadAPIFixture()
        #expect(problem(f.get("/api/sessions/s3/events", token: streamToken(sessions: ["s1"]))) == (404, "unknown_session"))
        #expect(f.seqs(f.body("/api/sessions/s1/events", token: streamToken(types: ["handover"]))) == [4, 5, 6])
        #expect(f.seqs(f.body("/api/sessions/s1/events", token: streamToken(providers: ["default"]))) == [4, 5, 6])
        // `next` follows the log, not the filtered page.
        let page = f.body("/api/sessions/s1/events", ["limit": "3"], token: streamToken(types: ["handover"]))
        #expect(f.seqs(page) == [])
        #expect(page["next"] == 3)
    }

    @Test func eventsOfAFinishedSessionAreStillReadable() throws {
        let f = try ReadAPIFixture()
        try f.store.add([messageEntry("gone", seq: 1), messageEntry("gone", seq: 2)])
        #expect(f.seqs(f.body("/api/sessions/gone/events")) == [1, 2])
        #expect(problem(f.get("/api/sessions/never/events")) == (404, "unknown_session"))
        // A live session without further events is an empty page, not a 404.
        #expect(f.get("/api/sessions/s3/events", ["afterSeq": "3"]).status == 200)
        // Past the end of an unknown session: an empty page (it may have existed).
        #expect(f.get("/api/sessions/never/events", ["afterSeq": "3"]).status == 200)
    }

    // MARK: GET /api/events

    @Test func theWholeLogByOffset() throws {
        let f = try ReadAPIFixture()
        let all = try f.store.everything()
        #expect(all.count == 15)
        let response = f.body("/api/events")
        #expect(response["epoch"] == "e1")
        #expect(response["recovered"] == true)
        #expect(response["reason"] == nil)
        #expect(response["lastOffset"] == 15)
        #expect(response["next"] == 15)
        #expect(response["events"] == .array(all.map(StreamFrame.envelope)))
    }

    @Test func theLogIsPagedWithNext() throws {
        let f = try ReadAPIFixture()
        var page = f.body("/api/events", ["after": "10", "limit": "2"])
        #expect(f.offsets(page) == [11, 12])
        #expect(page["next"] == 12)
        page = f.body("/api/events", ["after": "12", "epoch": "e1"])
        #expect(f.offsets(page) == [13, 14, 15])
        #expect(page["next"] == 15)
        #expect(page["recovered"] == true)
        page = f.body("/api/events", ["after": "15", "epoch": "e1"])
        #expect(f.offsets(page) == [])
        #expect(page["next"] == 15, "at the end, next stays put")
    }

    @Test func anotherEpochStartsOverAndSaysSo() throws {
        let f = try ReadAPIFixture()
        let page = f.body("/api/events", ["after": "13", "epoch": "old", "limit": "3"])
        #expect(page["recovered"] == false)
        #expect(page["reason"] == "epoch_changed")
        #expect(page["epoch"] == "e1")
        #expect(f.offsets(page) == [1, 2, 3])
        #expect(page["next"] == 3)
        // Even beyond this log's end.
        #expect(f.offsets(f.body("/api/events", ["after": "99", "epoch": "old", "limit": "1"])) == [1])
    }

    @Test func anOffsetPastTheEndIs416() throws {
        let f = try ReadAPIFixture()
        #expect(problem(f.get("/api/events", ["after": "16"])) == (416, "bad_position"))
        let response = f.get("/api/events", ["after": "99", "epoch": "e1"])
        #expect(problem(response) == (416, "bad_position"))
        #expect(response.jsonBody?["message"] == "offset 99 is past the end of the log (15) of epoch e1")
    }

    @Test func prunedHistoryIsReported() throws {
        let f = try ReadAPIFixture()
        let store = InMemoryStore(epoch: "e2")
        try store.add([messageEntry("gone", seq: 1, ts: 0), messageEntry("gone", seq: 2, ts: 0), messageEntry("gone", seq: 3, ts: t0)])
        #expect(try store.prune(olderThan: 1, maxEvents: nil) == 2)
        let lost = f.get("/api/events", log: store).jsonBody
        #expect(lost?["recovered"] == false)
        #expect(lost?["reason"] == "pruned")
        #expect(lost.map(f.offsets) == [3])
        let fine = f.get("/api/events", ["after": "2", "epoch": "e2"], log: store).jsonBody
        #expect(fine?["recovered"] == true)
        #expect(fine.map(f.offsets) == [3])
    }

    @Test func theLogIsFilteredWhileNextFollowsWhatWasScanned() throws {
        let f = try ReadAPIFixture()
        var page = f.body("/api/events", ["sessions": "s3"])
        #expect(f.offsets(page) == (try f.logOffsets("s3")))
        #expect(page["next"] == 15)
        page = f.body("/api/events", ["sessions": "s3", "limit": "5"])
        #expect(f.offsets(page) == [])
        #expect(page["next"] == 5, "nothing matched in the first 5: continue after them")
        page = f.body("/api/events", ["types": "handover"])
        #expect(f.offsets(page) == (try f.logOffsets("s1", kind: "handover")) + (try f.logOffsets("s5", kind: "handover")))
        page = f.body("/api/events", ["providers": "default", "queues": "q", "sessions": "s1,s5"])
        #expect(page["events"]?.arrayValue?.allSatisfy { $0["provider"] == "default" } == true)
        #expect(f.offsets(page).count == 4)
    }

    @Test func theLogIsLimitedToTheTokensScope() throws {
        let f = try ReadAPIFixture()
        let token = streamToken(sessions: ["s1"])
        #expect(f.offsets(f.body("/api/events", token: token)) == (try f.logOffsets("s1")))
        let refused = f.get("/api/events", ["sessions": "s1,s3"], token: token)
        #expect(problem(refused) == (403, "forbidden"))
        #expect(refused.jsonBody?["message"] == "the token does not allow sessions 's3'")
        let typed = streamToken(types: ["message"])
        #expect(problem(f.get("/api/events", ["types": "handover"], token: typed)) == (403, "forbidden"))
        #expect(f.body("/api/events", token: typed)["events"]?.arrayValue?.allSatisfy { $0["kind"] == "message" } == true)
    }

    @Test func anUnreadableLogIs503() throws {
        let f = try ReadAPIFixture()
        let broken = FlakyStore()
        broken.failing = true
        #expect(problem(f.get("/api/events", log: broken)) == (503, "store_unavailable"))
        #expect(problem(f.get("/api/sessions/s1/events", log: broken)) == (503, "store_unavailable"))
        // Live sessions come from memory.
        #expect(f.get("/api/sessions", log: broken).status == 200)
    }
}
