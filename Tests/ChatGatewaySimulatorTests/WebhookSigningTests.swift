import HTTPModel
import RelayCrypto
import RelayJSON
import Testing
@testable import ChatGatewaySimulator

@Suite struct WebhookSigningTests {
    static let signer = RSAWebhookSigner()

    /// Rebuilds what 8x8 documents as the signing input and checks the signature with the public JWK.
    func verifies(_ request: OutboundRequest) throws -> Bool {
        let header = try #require(request.headers["x-8x8-signature"])
        let parts = header.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[1].isEmpty else { return false }
        let protected = try JSONValue.parse(bytes: try #require(Base64URL.decode(parts[0])))
        #expect(protected == ["alg": "RS256", "kid": .string(Self.signer.kid), "b64": false, "crit": ["b64"]])
        let h = request.headers
        let payload = "{\"checksum\":\(CRC32.checksum(request.body)),\"cid\":\"\(h["x-8x8-customer-id"]!)\",\"eid\":\"\(h["x-8x8-event-id"]!)\","
            + "\"retry\":\(h["x-8x8-retry"]!),\"tid\":\"\(h["x-8x8-tenant-id"]!)\",\"tt\":\(h["x-8x8-transmission-time"]!)}"
        let jwk = try #require(Self.signer.publicJWK.objectValue).compactMapValues(\.stringValue)
        return try RSAPublicKey(jwk: jwk).verifyRS256(signature: try #require(Base64URL.decode(parts[2])),
                                                      message: Array((parts[0] + "." + payload).utf8))
    }

    @Test func everyWebhookIsSigned() throws {
        var h = Harness(signer: Self.signer)
        let id = h.active()
        h.agent("/conversations/\(id)/messages", json: ["text": "hello"])
        h.drain()
        #expect(h.attempts.count >= 5)
        for request in h.attempts { #expect(try verifies(request)) }
    }

    @Test func retriesAreSignedAgainWithTheirOwnTimeAndAttempt() throws {
        var h = Harness(signer: Self.signer)
        h.gw("POST", "/conversations", json: createBody())
        h.complete(.response(status: 503, body: []))
        h.nowMs += 1_000
        h.fireTimer(try #require(h.scheduled.last).id)
        let retry = try #require(h.attempts.last)
        #expect(retry.headers["x-8x8-retry"] == "1")
        #expect(retry.headers["x-8x8-signature"] != h.attempts[0].headers["x-8x8-signature"])
        #expect(try verifies(retry))
    }

    @Test func servesItsPublicKeyToAuthenticatedCallers() throws {
        var h = Harness(signer: Self.signer)
        let response = h.gw("GET", "/jwk/\(Self.signer.kid)/public")
        #expect(response.status == 200)
        let jwk = try #require(response.jsonBody)
        #expect(jwk["kid"]?.stringValue == Self.signer.kid)
        #expect(jwk["kty"] == "RSA" && jwk["d"] == nil && jwk["p"] == nil)
        #expect(h.gw("GET", "/jwk/unknown/public").problemCode == "KEY_NOT_FOUND")
        #expect(h.request("GET", "/sim/chat-gateway/v1/jwk/\(Self.signer.kid)/public").status == 401)  // no API key
    }

    @Test func testsCanRegisterTheirOwnPublicKey() throws {
        var h = Harness(signer: Self.signer)
        let jwk: JSONValue = ["kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "secret"]
        #expect(h.request("PUT", "/sim/admin/keys/test-1", json: jwk).status == 204)
        let served = try #require(h.gw("GET", "/jwk/test-1/public").jsonBody)
        #expect(served == ["kty": "RSA", "kid": "test-1", "n": "AQAB", "e": "AQAB", "alg": "RS256", "use": "sig"])
        #expect(h.request("PUT", "/sim/admin/keys/test-2", json: ["kty": "EC"]).status == 400)
        #expect(h.request("GET", "/sim/admin/keys/test-1").status == 405)
    }

    @Test func signatureStringsAreJSONEscaped() {
        #expect(WebhookSignatureHeader.quoted(#"a"b\c/é"#) == #""a\"b\\c/é""#)
        #expect(WebhookSignatureHeader.quoted("\u{08}\u{0C}\n\u{01}") == #""\b\f\n\u0001""#)
    }
}
