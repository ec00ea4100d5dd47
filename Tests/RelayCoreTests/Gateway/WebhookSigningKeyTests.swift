import HTTPModel
import RelayCrypto
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct WebhookSigningKeyTests {
    func jwk(kid: String? = "k1") -> JSONValue {
        var members = TestSigner.key.publicJWK.mapValues { JSONValue.string($0) }
        if let kid { members["kid"] = .string(kid) }
        return .object(members)
    }

    @Test func fetchRequestIsAnAuthenticatedGET() {
        let provider = GatewayProvider(name: "p", baseURL: HTTPURL("https://api.8x8.test/base")!, apiKey: "secret", tenant: "t1")
        let request = GatewayRequests(provider: provider).signingKey(kid: "a b")
        #expect(request.method == "GET")
        #expect(request.url.description == "https://api.8x8.test/base/chat-gateway/v1/jwk/a%20b/public")
        #expect(request.headers["x-api-key"] == "secret")
        #expect(request.headers["x-8x8-tenant"] == "t1")
        #expect(request.body.isEmpty)
    }

    @Test func readsAJWKOrAJWKSet() throws {
        let message = Array("m".utf8)
        let signature = TestSigner.key.signRS256(message)
        let single = try WebhookSigningKey.parse(jwk().serializedBytes, kid: "k1")
        #expect(single.verifyRS256(signature: signature, message: message))
        let withoutKid = try WebhookSigningKey.parse(jwk(kid: nil).serializedBytes, kid: "k1")
        #expect(withoutKid.verifyRS256(signature: signature, message: message))
        let set: JSONValue = ["keys": [jwk(kid: "other"), jwk(kid: "k1")]]
        #expect(try WebhookSigningKey.parse(set.serializedBytes, kid: "k1").bits == 2048)
    }

    @Test func refusesAnswersThatAreNotTheKeyAskedFor() {
        #expect(throws: JWKError("JWK answer is not a JSON object")) { try WebhookSigningKey.parse(Array("<html>".utf8), kid: "k1") }
        #expect(throws: JWKError("JWK is \"k2\", asked for \"k1\"")) { try WebhookSigningKey.parse(jwk(kid: "k2").serializedBytes, kid: "k1") }
        let set: JSONValue = ["keys": [jwk(kid: "other")]]
        #expect(throws: JWKError("JWK set has no key \"k1\"")) { try WebhookSigningKey.parse(set.serializedBytes, kid: "k1") }
        let ec: JSONValue = ["kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"]
        #expect(throws: JWKError("JWK \"kty\" is \"EC\", expected \"RSA\"")) { try WebhookSigningKey.parse(ec.serializedBytes, kid: "k1") }
    }
}
