import HTTPModel
import RelayJSON

extension RelayEngine {
    /// `POST /api/sessions/{id}/copilot/tiles` and `DELETE …/tiles/{tileId}`;
    /// nil for other paths. Bearer integrator token with scope `copilot:tiles`.
    public mutating func copilotTilesAPI(_ request: HTTPRequest, now: Int64) -> (HTTPResponse, [RelayEffect])? {
        let parts = request.pathSegments
        guard parts.count >= 5, parts[0] == "api", parts[1] == "sessions", parts[3] == "copilot", parts[4] == "tiles" else { return nil }
        let sid = SessionID(String(parts[2]))
        switch (request.method, parts.count) {
        case ("POST", 5), ("DELETE", 6): break
        default: return (.problem(405, code: "method_not_allowed", message: "use POST …/tiles or DELETE …/tiles/{id}"), [])
        }
        if let denied = authorize(request, session: sid, now: now) { return (denied, []) }
        guard sessions[sid] != nil else { return (.problem(404, code: "unknown_session", message: "no such session"), []) }

        if request.method == "DELETE" {
            let id = String(parts[5])
            guard !CopilotTile.builtinIDs.contains(id), let frame = sessions[sid]!.copilot.remove(id) else {
                return (.problem(404, code: "unknown_tile", message: "no integrator tile '\(id.prefix(64))' in this session"), [])
            }
            return (.noContent(), sendToWatchers(sid, [frame]))
        }
        let tile: CopilotTile
        do {
            tile = try Self.decodeTile(request.body, columns: config.copilot.layout.columns, now: now)
        } catch {
            return (.problem(400, code: "bad_tile", message: error.message), [])
        }
        let frames = sessions[sid]!.copilot.upsert(tile).map { [$0] } ?? []
        let stored = sessions[sid]!.copilot.tiles[tile.id] ?? tile
        return (.json(200, ["tile": stored.json]),
                sendToWatchers(sid, frames) + [.log(LogRecord(.info, "integrator tile upserted", logContext(sid).merging(["tile": tile.id]) { $1 }))])
    }

    private func authorize(_ request: HTTPRequest, session: SessionID, now: Int64) -> HTTPResponse? {
        switch bearerToken(request, now: now) {
        case .refused(let response): return response
        case .token(let token) where !token.allows(IntegratorToken.tilesScope, session: session):
            return .problem(403, code: "forbidden", message: "the token does not grant \(IntegratorToken.tilesScope) for this session")
        case .token: return nil
        }
    }

    struct TileError: Error { let message: String }

    static func decodeTile(_ body: [UInt8], columns: Int, now: Int64) throws(TileError) -> CopilotTile {
        guard let json = try? JSONValue.parse(bytes: body), case .object = json else { throw TileError(message: "body must be a JSON object") }
        guard let id = json["id"]?.stringValue, (1...64).contains(id.count),
              id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
        else { throw TileError(message: "'id' must be 1–64 characters of A–Z, a–z, 0–9, '_', '.', '-'") }
        guard !CopilotTile.builtinIDs.contains(id) else { throw TileError(message: "'id' \(id) is a built-in tile") }
        guard let kind = json["kind"]?.stringValue, (1...64).contains(kind.count) else { throw TileError(message: "'kind' must be a string of 1–64 characters") }
        guard !CopilotTile.builtinIDs.contains(kind) else { throw TileError(message: "'kind' \(kind) is reserved for built-in tiles") }
        if let t = json["title"], !t.isNull, t.stringValue == nil { throw TileError(message: "'title' must be a string") }
        let title = json["title"]?.stringValue ?? id
        guard title.count <= 200 else { throw TileError(message: "'title' is longer than 200 characters") }
        var position: TilePosition?
        if let p = json["position"], !p.isNull {
            do {
                position = try CopilotLayout.position(p, path: "position", columns: columns)
            } catch {
                throw TileError(message: "'\(error.key)' \(error.problem)")
            }
        }
        return CopilotTile(id: id, kind: kind, title: title, position: position, data: json["data"] ?? .null, updatedAt: now,
                           source: .integrator)
    }

    /// Whether `GET /copilot/?sessionId=…&URLToken=…` may be served; nil when
    /// it may, else a 401 page that says why (and nothing about the session).
    public func copilotPageRefusal(query: [String: String], now: Int64) -> HTTPResponse? {
        let why: String
        if let sid = query["sessionId"], let token = query["URLToken"] {
            do {
                try CopilotToken.verify(token, sessionID: SessionID(sid), role: "agent", nowSeconds: now / 1000, secret: config.copilotSecret)
                return nil
            } catch {
                why = error.message
            }
        } else {
            why = "this copilot link is incomplete (it needs sessionId and URLToken)"
        }
        let sentence: String = why.prefix(1).uppercased() + why.dropFirst()
        let html = "<!doctype html><meta charset=utf-8><title>Copilot link not valid</title>"
            + "<body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem\">"
            + "<h1>Copilot link not valid</h1><p>\(sentence.htmlEscaped).</p>"
            + "<p>Open the copilot link from the conversation in the 8x8 agent workspace again.</p></body>"
        return HTTPResponse(status: 401, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
    }
}

extension String {
    var htmlEscaped: String {
        var out = ""
        for c in self {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
