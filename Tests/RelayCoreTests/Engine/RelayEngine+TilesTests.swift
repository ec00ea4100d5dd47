import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

/// An integrator token for the tile API, signed with the test config's secret.
func integratorToken(scopes: [String] = ["copilot:tiles"], sessions: [String]? = nil, expiresAt: Int64 = t0 / 1000 + 3600,
                             secret: [UInt8] = devSecret) -> String {
    IntegratorToken(subject: "crm", scopes: scopes, sessions: sessions, expiresAt: expiresAt).sign(secret: secret)
}

private let idProblem = "'id' must be 1–64 characters of A–Z, a–z, 0–9, '_', '.', '-'"
private let kindProblem = "'kind' must be a string of 1–64 characters"
private let needsXYWH = "'position' needs integer x, y, w and h"

/// The integrator tile API: `POST /api/sessions/{id}/copilot/tiles`, `DELETE …/tiles/{tileId}`.
@Suite struct RelayEngineTilesTests {
    let crmBody: JSONValue = [
        "id": "crm", "kind": "markdown", "title": "CRM", "position": ["x": 0, "y": 6, "w": 6, "h": 2],
        "data": ["markdown": "**Gold customer** since 2019"],
    ]

    func crmTile(at updatedAt: Int64 = t0) -> CopilotTile {
        CopilotTile(id: "crm", kind: "markdown", title: "CRM", position: TilePosition(x: 0, y: 6, w: 6, h: 2),
                    data: ["markdown": "**Gold customer** since 2019"], updatedAt: updatedAt, source: .integrator)
    }

    static func request(_ method: String = "POST", session: String = "s1", tile: String? = nil, authorization: String?,
                        body: [UInt8] = []) -> HTTPRequest {
        var headers: [String: String] = [:]
        if let authorization { headers["Authorization"] = authorization }
        return HTTPRequest(method: method, path: "/api/sessions/\(session)/copilot/tiles" + (tile.map { "/\($0)" } ?? ""),
                           headers: headers, body: body)
    }

    static func post(_ body: JSONValue, session: String = "s1", token: String = integratorToken()) -> HTTPRequest {
        request(session: session, authorization: "Bearer \(token)", body: body.serializedBytes)
    }

    static func delete(_ tile: String, session: String = "s1", token: String = integratorToken()) -> HTTPRequest {
        request("DELETE", session: session, tile: tile, authorization: "Bearer \(token)")
    }

    /// Session s1 (hello only) with `watchers` copilot connections 101, 102, … subscribed.
    private func session(watchers: Int = 0) -> (EngineHarness, [ConnectionID]) {
        var h = EngineHarness(config: copilotTestConfig())
        _ = h.hello(h.connect(1))
        let link = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 3600, secret: devSecret)
        let ws = (0..<watchers).map { h.watch(101 + UInt64($0), token: link).0 }
        return (h, ws)
    }

    private func api(_ h: inout EngineHarness, _ request: HTTPRequest) throws -> (HTTPResponse, [RelayEffect]) {
        let result = h.engine.copilotTilesAPI(request, now: h.now)
        return try #require(result)
    }

    private func problem(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .problem(status, code: code, message: message)
    }

    // MARK: upsert

    @Test func upsertStoresTheTileAndSendsItToEveryWatcher() throws {
        var (h, ws) = session(watchers: 2)
        let pos = h.s1.copilot.pos
        let (response, effects) = try api(&h, Self.post(crmBody))
        #expect(response.status == 200)
        #expect(response.contentType == "application/json")
        #expect(response.jsonBody == ["tile": crmTile().json])
        let frame = CopilotFrame.tile(pos: pos + 1, crmTile())
        #expect(effects.withoutLogs == [.send(ws[0], frame), .send(ws[1], frame)])
        #expect(effects.logs.map(\.message) == ["integrator tile upserted"])
        #expect(effects.logs.first?.metadata == ["session": "s1", "tile": "crm"])
        #expect(h.s1.copilot.tiles["crm"] == crmTile())
        #expect(h.s1.copilot.pos == pos + 1)
    }

    @Test func theSameTileAgainSendsNothing() throws {
        var (h, ws) = session(watchers: 1)
        _ = try api(&h, Self.post(crmBody))
        let pos = h.s1.copilot.pos
        h.now += 5_000
        let (response, effects) = try api(&h, Self.post(crmBody))
        #expect(response.status == 200)
        #expect(response.jsonBody == ["tile": crmTile(at: t0).json])  // the stored tile, as the copilot pages have it
        #expect(effects.texts(to: ws[0]) == [])
        #expect(h.s1.copilot.pos == pos)
        #expect(h.s1.copilot.tiles["crm"] == crmTile(at: t0))
    }

    @Test func aChangedTileIsSentAgain() throws {
        var (h, ws) = session(watchers: 1)
        _ = try api(&h, Self.post(crmBody))
        let pos = h.s1.copilot.pos
        h.now += 5_000
        var changed = crmBody.objectValue!
        changed["data"] = ["markdown": "**Platinum customer**"]
        let (response, effects) = try api(&h, Self.post(.object(changed)))
        #expect(response.status == 200)
        var tile = crmTile(at: t0 + 5_000)
        tile.data = ["markdown": "**Platinum customer**"]
        #expect(response.jsonBody == ["tile": tile.json])
        #expect(effects.texts(to: ws[0]) == [CopilotFrame.tile(pos: pos + 1, tile)])
        #expect(h.s1.copilot.tiles["crm"] == tile)
    }

    @Test func upsertWithoutWatchersIsStoredForTheNextSnapshot() throws {
        var (h, _) = session()
        let (response, effects) = try api(&h, Self.post(crmBody))
        #expect(response.status == 200)
        #expect(effects.withoutLogs == [])

        let link = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 3600, secret: devSecret)
        let (w, subscribe) = h.watch(101, token: link)
        let tiles = json(try #require(subscribe.texts(to: w).first))["tiles"]?.arrayValue
        #expect(tiles?.map { $0["id"]?.stringValue } == ["identity", "summary", "sentiment", "transcript", "knowledge", "next-best-action", "crm"])
        #expect(tiles?.last == crmTile().json)
    }

    @Test func minimalTileDefaultsTitleAndData() throws {
        var (h, _) = session()
        let (response, _) = try api(&h, Self.post(["id": "x.y_z-1", "kind": "something-new"]))
        #expect(response.status == 200)
        let expected = CopilotTile(id: "x.y_z-1", kind: "something-new", title: "x.y_z-1", position: nil, data: .null, updatedAt: t0,
                                   source: .integrator)
        #expect(response.jsonBody == ["tile": expected.json])
        #expect(h.s1.copilot.tiles["x.y_z-1"] == expected)
    }

    @Test func aTileWithoutPositionTakesItsLayoutPlaceInTheSnapshot() throws {
        var config = copilotTestConfig()
        config.copilot.layout.tiles["crm"] = TilePosition(x: 0, y: 8, w: 12, h: 2)
        var h = EngineHarness(config: config)
        _ = h.hello(h.connect(1))
        var body = crmBody.objectValue!
        body["position"] = nil
        _ = try api(&h, Self.post(.object(body)))
        #expect(h.s1.copilot.tiles["crm"]?.position == nil)
        let link = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 3600, secret: devSecret)
        let (w, subscribe) = h.watch(101, token: link)
        let crm = json(try #require(subscribe.texts(to: w).first))["tiles"]?.arrayValue?.last
        #expect(crm?["id"] == "crm")
        #expect(crm?["position"] == ["x": 0, "y": 8, "w": 12, "h": 2])
    }

    @Test func positionIsCheckedAgainstTheConfiguredColumns() throws {
        var config = copilotTestConfig()
        config.copilot.layout.columns = 24
        var h = EngineHarness(config: config)
        _ = h.hello(h.connect(1))
        var body = crmBody.objectValue!
        body["position"] = ["x": 12, "y": 0, "w": 12, "h": 1]
        #expect(try api(&h, Self.post(.object(body))).0.status == 200)
        body["position"] = ["x": 13, "y": 0, "w": 12, "h": 1]
        #expect(try api(&h, Self.post(.object(body))).0 == problem(400, "bad_tile", "'position' x + w must not exceed 24 columns"))
    }

    // MARK: bad bodies

    @Test(arguments: [
        ("{", "body must be a JSON object"),
        ("", "body must be a JSON object"),
        (#"[{"id":"crm","kind":"json"}]"#, "body must be a JSON object"),
        (#""crm""#, "body must be a JSON object"),
        (#"{"kind":"json"}"#, idProblem),
        (#"{"id":"","kind":"json"}"#, idProblem),
        (#"{"id":7,"kind":"json"}"#, idProblem),
        (#"{"id":"a b","kind":"json"}"#, idProblem),
        (#"{"id":"a/b","kind":"json"}"#, idProblem),
        (#"{"id":"<b>","kind":"json"}"#, idProblem),
        (#"{"id":"café","kind":"json"}"#, idProblem),
        (#"{"id":"\#(String(repeating: "a", count: 65))","kind":"json"}"#, idProblem),
        (#"{"id":"identity","kind":"json"}"#, "'id' identity is a built-in tile"),
        (#"{"id":"next-best-action","kind":"json"}"#, "'id' next-best-action is a built-in tile"),
        (#"{"id":"crm"}"#, kindProblem),
        (#"{"id":"crm","kind":""}"#, kindProblem),
        (#"{"id":"crm","kind":5}"#, kindProblem),
        (#"{"id":"crm","kind":"\#(String(repeating: "k", count: 65))"}"#, kindProblem),
        (#"{"id":"crm","kind":"json","title":"\#(String(repeating: "t", count: 201))"}"#, "'title' is longer than 200 characters"),
        (#"{"id":"crm","kind":"json","position":{"x":0,"y":0,"w":4}}"#, needsXYWH),
        (#"{"id":"crm","kind":"json","position":"top"}"#, needsXYWH),
        (#"{"id":"crm","kind":"json","position":[0,0,4,1]}"#, needsXYWH),
        (#"{"id":"crm","kind":"json","position":{"x":12,"y":0,"w":1,"h":1}}"#, "'position.x' must be between 0 and 11, got 12"),
        (#"{"id":"crm","kind":"json","position":{"x":0,"y":0,"w":1.5,"h":1}}"#, "'position.w' must be an integer, got number"),
        (#"{"id":"crm","kind":"json","position":{"x":0,"y":-1,"w":1,"h":1}}"#, "'position.y' must be between 0 and 1000, got -1"),
        (#"{"id":"crm","kind":"json","position":{"x":0,"y":0,"w":1,"h":0}}"#, "'position.h' must be between 1 and 100, got 0"),
        (#"{"id":"crm","kind":"json","position":{"x":10,"y":0,"w":4,"h":1}}"#, "'position' x + w must not exceed 12 columns"),
        (#"{"id":"crm","kind":"json","position":{"x":0,"y":0,"w":4,"h":1,"z":2}}"#, "'position.z' is not a known setting (known: h, w, x, y)"),
        (#"{"id":"crm","kind":"json","title":5}"#, "'title' must be a string"),
        (#"{"id":"crm","kind":"identity"}"#, "'kind' identity is reserved for built-in tiles"),
        (#"{"id":"crm","kind":"next-best-action"}"#, "'kind' next-best-action is reserved for built-in tiles"),
    ] as [(String, String)])
    func badBodyIs400NamingTheField(body: String, message: String) throws {
        var (h, ws) = session(watchers: 1)
        let pos = h.s1.copilot.pos
        let (response, effects) = try api(&h, Self.request(authorization: "Bearer \(integratorToken())", body: Array(body.utf8)))
        #expect(response == problem(400, "bad_tile", message))
        #expect(response.contentType == "application/problem+json")
        #expect(effects == [])
        #expect(h.s1.copilot.pos == pos)
        #expect(h.s1.copilot.tiles.keys.allSatisfy { CopilotTile.builtinIDs.contains($0) })
        _ = ws
    }

    @Test(arguments: ["a", "A-Z_0.9", String(repeating: "x", count: 64), "Identity", "crm.v2"])
    func acceptedIDs(id: String) throws {
        var (h, _) = session()
        #expect(try api(&h, Self.post(["id": .string(id), "kind": "json"])).0.status == 200)
        #expect(h.s1.copilot.tiles[id] != nil)
    }

    @Test func aTitleOfExactly200CharactersIsAccepted() throws {
        var (h, _) = session()
        let title = String(repeating: "t", count: 200)
        #expect(try api(&h, Self.post(["id": "crm", "kind": "json", "title": .string(title)])).0.status == 200)
        #expect(h.s1.copilot.tiles["crm"]?.title == title)
    }

    // MARK: delete

    @Test func deleteRemovesTheTileAndTellsEveryWatcher() throws {
        var (h, ws) = session(watchers: 2)
        _ = try api(&h, Self.post(crmBody))
        let pos = h.s1.copilot.pos
        let (response, effects) = try api(&h, Self.delete("crm"))
        #expect(response == .noContent())
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        let frame = CopilotFrame.tileRemoved(pos: pos + 1, id: "crm")
        #expect(effects == [.send(ws[0], frame), .send(ws[1], frame)])
        #expect(h.s1.copilot.tiles["crm"] == nil)

        // Gone: a second delete is 404.
        #expect(try api(&h, Self.delete("crm")).0 == problem(404, "unknown_tile", "no integrator tile 'crm' in this session"))
        #expect(h.s1.copilot.pos == pos + 1)
    }

    @Test func deleteOfAnUnknownTileIs404() throws {
        var (h, ws) = session(watchers: 1)
        let (response, effects) = try api(&h, Self.delete("nope"))
        #expect(response == problem(404, "unknown_tile", "no integrator tile 'nope' in this session"))
        #expect(effects == [])
        #expect(ws.count == 1)
    }

    @Test func builtinTilesCannotBeDeleted() throws {
        var (h, _) = session(watchers: 1)
        for id in CopilotTile.builtinIDs {
            #expect(try api(&h, Self.delete(id)).0 == problem(404, "unknown_tile", "no integrator tile '\(id)' in this session"))
            #expect(h.s1.copilot.tiles[id] != nil)
        }
    }

    @Test func theUnknownTileMessageIsBounded() throws {
        var (h, _) = session()
        let long = String(repeating: "z", count: 300)
        let (response, _) = try api(&h, Self.delete(long))
        #expect(response.status == 404)
        #expect(response.jsonBody?["message"] == .string("no integrator tile '\(String(repeating: "z", count: 64))' in this session"))
    }

    // MARK: authorization

    @Test(arguments: [
        (nil as String?, "an integrator bearer token is required"),
        ("", "an integrator bearer token is required"),
        ("Bearer", "an integrator bearer token is required"),
        ("Basic Y3JtOnNlY3JldA==", "an integrator bearer token is required"),
        ("Bearer ", "the token is not valid"),
        ("Bearer garbage", "the token is not valid"),
        ("Bearer \(integratorToken(secret: Array("another-secret-xyz".utf8)))", "the token is not valid"),
        ("Bearer \(CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 3600, secret: devSecret))",
         "the token is not valid"),
        ("Bearer \(integratorToken(expiresAt: t0 / 1000))", "the token has expired"),
    ])
    func unauthorized(authorization: String?, message: String) throws {
        var (h, ws) = session(watchers: 1)
        for method in ["POST", "DELETE"] {
            let request = method == "POST"
                ? Self.request(authorization: authorization, body: crmBody.serializedBytes)
                : Self.request("DELETE", tile: "crm", authorization: authorization)
            let (response, effects) = try api(&h, request)
            #expect(response == problem(401, "unauthorized", message))
            #expect(effects == [])
        }
        #expect(h.s1.copilot.tiles["crm"] == nil)
        _ = ws
    }

    @Test(arguments: ["bearer", "BEARER", "Bearer"])
    func theSchemeIsCaseInsensitive(scheme: String) throws {
        var (h, _) = session()
        let request = Self.request(authorization: "\(scheme) \(integratorToken())", body: crmBody.serializedBytes)
        #expect(try api(&h, request).0.status == 200)
    }

    @Test(arguments: [
        [String](), ["events:read"], ["copilot"],
    ])
    func aTokenWithoutTheScopeIsForbidden(scopes: [String]) throws {
        var (h, _) = session()
        let token = integratorToken(scopes: scopes)
        let forbidden = problem(403, "forbidden", "the token does not grant copilot:tiles for this session")
        #expect(try api(&h, Self.post(crmBody, token: token)).0 == forbidden)
        #expect(try api(&h, Self.delete("crm", token: token)).0 == forbidden)
        #expect(h.s1.copilot.tiles["crm"] == nil)
    }

    @Test func aTokenForOtherSessionsIsForbidden() throws {
        var (h, _) = session()
        let token = integratorToken(sessions: ["s3", "s9"])
        #expect(try api(&h, Self.post(crmBody, token: token)).0
                == problem(403, "forbidden", "the token does not grant copilot:tiles for this session"))
        #expect(h.s1.copilot.tiles["crm"] == nil)
        // Listing the session allows it.
        #expect(try api(&h, Self.post(crmBody, token: integratorToken(sessions: ["s3", "s1"]))).0.status == 200)
    }

    @Test func unknownSessionIs404() throws {
        var (h, _) = session()
        #expect(try api(&h, Self.post(crmBody, session: "nope")).0 == problem(404, "unknown_session", "no such session"))
        #expect(try api(&h, Self.delete("crm", session: "nope")).0 == problem(404, "unknown_session", "no such session"))
        // Authorization comes first: a token limited to other sessions learns nothing about this one.
        #expect(try api(&h, Self.post(crmBody, session: "nope", token: integratorToken(sessions: ["s1"]))).0.status == 403)
        #expect(try api(&h, Self.request(session: "nope", authorization: nil, body: crmBody.serializedBytes)).0.status == 401)
    }

    // MARK: routing

    @Test(arguments: [
        ("GET", nil as String?), ("PUT", nil), ("PATCH", nil), ("DELETE", nil),
        ("POST", "crm"), ("PUT", "crm"), ("GET", "crm"),
    ])
    func wrongMethodIs405(method: String, tile: String?) throws {
        var (h, _) = session()
        // Refused before the token is even looked at.
        for authorization in [nil, "Bearer \(integratorToken())"] as [String?] {
            let (response, effects) = try api(&h, Self.request(method, tile: tile, authorization: authorization))
            #expect(response == problem(405, "method_not_allowed", "use POST …/tiles or DELETE …/tiles/{id}"))
            #expect(effects == [])
        }
    }

    @Test func extraPathSegmentsAre405() throws {
        var (h, _) = session()
        let request = HTTPRequest(method: "DELETE", path: "/api/sessions/s1/copilot/tiles/crm/extra",
                                  headers: ["authorization": "Bearer \(integratorToken())"])
        #expect(try api(&h, request).0.status == 405)
    }

    @Test(arguments: [
        "/", "/api", "/api/info", "/api/sessions", "/api/sessions/s1", "/api/sessions/s1/copilot", "/api/sessions/s1/copilot/tile",
        "/api/sessions/s1/chat/tiles", "/api/session/s1/copilot/tiles", "/apis/sessions/s1/copilot/tiles", "/webhooks/8x8",
        "/copilot/", "/x/api/sessions/s1/copilot/tiles",
    ])
    func otherPathsAreNotHandled(path: String) {
        var (h, _) = session()
        for method in ["GET", "POST", "DELETE"] {
            let request = HTTPRequest(method: method, path: path, headers: ["authorization": "Bearer \(integratorToken())"],
                                      body: crmBody.serializedBytes)
            #expect(h.engine.copilotTilesAPI(request, now: h.now) == nil)
        }
    }

    @Test func aTrailingSlashIsTheSameRoute() throws {
        var (h, _) = session()
        let request = HTTPRequest(method: "POST", path: "/api/sessions/s1/copilot/tiles/",
                                  headers: ["authorization": "Bearer \(integratorToken())"], body: crmBody.serializedBytes)
        #expect(try api(&h, request).0.status == 200)
    }
}
