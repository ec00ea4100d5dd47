import HTTPModel
import RelayCrypto
import Testing
@testable import RelayCore

@Suite struct WebhookSignatureTests {
    @Test func parsesTheHeader() throws {
        let header = TestSigner.encodedHeader(kid: "abc") + "..c2ln"
        let signature = try WebhookSignature.parse(header)
        #expect(signature.kid == "abc")
        #expect(signature.signature == Array("sig".utf8))
        #expect(signature.encodedHeader == TestSigner.encodedHeader(kid: "abc"))
    }

    @Test(arguments: [
        ("", "x-8x8-signature is not a compact JWS (header..signature)"),
        ("a.b", "x-8x8-signature is not a compact JWS (header..signature)"),
        ("a.b.c.d", "x-8x8-signature is not a compact JWS (header..signature)"),
        (TestSigner.encodedHeader(kid: "k") + ".cGF5bG9hZA.c2ln", "x-8x8-signature must have a detached payload (an empty middle part)"),
        ("!!!..c2ln", "x-8x8-signature protected header is not base64url JSON"),
        (Base64URL.encode(Array("[1]".utf8)) + "..c2ln", "x-8x8-signature protected header is not base64url JSON"),
        (TestSigner.encodedHeader(kid: "k", alg: "none") + "..c2ln", "x-8x8-signature protected header \"alg\" must be RS256"),
        (TestSigner.encodedHeader(kid: "k", alg: "HS256") + "..c2ln", "x-8x8-signature protected header \"alg\" must be RS256"),
        (TestSigner.encodedHeader(kid: "k", b64: "true") + "..c2ln", "x-8x8-signature protected header \"b64\" must be false"),
        (TestSigner.encodedHeader(kid: "k", crit: "[]") + "..c2ln", "x-8x8-signature protected header \"crit\" must be [\"b64\"]"),
        (TestSigner.encodedHeader(kid: "k", crit: #"["b64","exp"]"#) + "..c2ln", "x-8x8-signature protected header \"crit\" must be [\"b64\"]"),
        (TestSigner.encodedHeader(kid: "") + "..c2ln", "x-8x8-signature protected header has no \"kid\""),
        (TestSigner.encodedHeader(kid: "a b") + "..c2ln",
         "x-8x8-signature protected header \"kid\" is not a printable id of at most 128 characters"),
        (TestSigner.encodedHeader(kid: String(repeating: "k", count: 129)) + "..c2ln",
         "x-8x8-signature protected header \"kid\" is not a printable id of at most 128 characters"),
        (TestSigner.encodedHeader(kid: "k") + "..", "x-8x8-signature signature is not base64url"),
        (TestSigner.encodedHeader(kid: "k") + "..a+b/", "x-8x8-signature signature is not base64url"),
    ])
    func malformedHeadersAreRefused(header: String, message: String) {
        #expect(throws: WebhookSignatureError.malformed(message)) { try WebhookSignature.parse(header) }
    }

    @Test func signedPayloadIsTheDocumentedJSON() throws {
        let headers = ["x-8x8-tenant-id": "t", "x-8x8-customer-id": "c", "x-8x8-event-id": "e", "x-8x8-retry": "2",
                       "x-8x8-transmission-time": "1700000000123"]
        let payload = try WebhookSignature.signedPayload(body: Array("123456789".utf8), headers: headers)
        #expect(String(decoding: payload, as: UTF8.self)
            == #"{"checksum":3421780262,"cid":"c","eid":"e","retry":2,"tid":"t","tt":1700000000123}"#)
    }

    @Test func stringsAreJSONEscaped() {
        #expect(WebhookSignature.jsonString(#"a"b\c/d"#) == #""a\"b\\c/d""#)
        #expect(WebhookSignature.jsonString("x\ny\t\u{01}é") == #""x\ny\t\u0001é""#)
    }

    @Test(arguments: ["x-8x8-tenant-id", "x-8x8-customer-id", "x-8x8-event-id", "x-8x8-retry", "x-8x8-transmission-time"])
    func everyCoveredHeaderIsRequired(missing: String) {
        var headers = TestSigner.headers
        headers["x-8x8-transmission-time"] = "1"
        headers[missing] = nil
        #expect(throws: WebhookSignatureError.malformed("header \(missing) is missing")) {
            try WebhookSignature.signedPayload(body: [], headers: headers)
        }
    }

    @Test(arguments: ["", "x", "-1", "1.5", "99999999999999999999"])
    func numbersMustBeNonNegativeIntegers(value: String) {
        var headers = TestSigner.headers
        headers["x-8x8-transmission-time"] = value
        #expect(throws: WebhookSignatureError.malformed("header x-8x8-transmission-time must be a non-negative integer")) {
            try WebhookSignature.signedPayload(body: [], headers: headers)
        }
    }

    @Test func opensslFixtureRebuildsToTheSameSigningInput() throws {
        let fixture = try OpenSSLWebhookFixture()
        let request = fixture.request
        let signature = try WebhookSignature.parse(request.header("x-8x8-signature")!)
        let payload = try WebhookSignature.signedPayload(body: request.body, headers: request.headers)
        #expect(String(decoding: signature.signingInput(payload: payload), as: UTF8.self) == fixture.json["signingInput"]?.stringValue)
    }
}
