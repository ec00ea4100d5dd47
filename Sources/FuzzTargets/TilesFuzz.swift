import HTTPModel
import RelayCore

/// `POST /api/sessions/{id}/copilot/tiles` (integrator tiles, JSON body): with
/// a valid bearer token for the session, any body is a tile (200) or a
/// `bad_tile` (400) — never another answer, never a trap.
enum TilesFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        var fixture = EngineFixture.prototype
        let token = IntegratorToken(subject: "fuzz", scopes: [IntegratorToken.tilesScope], expiresAt: 4_102_444_800)
            .sign(secret: fixture.engine.config.copilotSecret)
        let request = HTTPRequest(method: "POST", path: "/api/sessions/s1/copilot/tiles",
                                  headers: ["Authorization": "Bearer " + token, "Content-Type": "application/json"], body: input)
        guard let (response, _) = fixture.engine.copilotTilesAPI(request, now: fixture.now) else {
            check.expect(false, "the tiles route was not recognised")
            return
        }
        check.expect(response.status == 200 || response.status == 400, "a tile body was answered \(response.status)")
    }
}
