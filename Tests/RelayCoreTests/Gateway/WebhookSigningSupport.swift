import Foundation
import HTTPModel
import RelayCrypto
import RelayJSON
@testable import RelayCore

/// Signs webhooks for the verifier tests the way 8x8 documents it, written
/// out by hand (not with ``WebhookSignature``) so the two can disagree.
struct TestSigner {
    static let key = RSAPrivateKey.generate()
    static let otherKey = RSAPrivateKey.generate()

    var key = TestSigner.key
    var kid = "kid-1"

    static func encodedHeader(kid: String, alg: String = "RS256", b64: String = "false", crit: String = #"["b64"]"#) -> String {
        Base64URL.encode(Array(#"{"alg":"\#(alg)","kid":"\#(kid)","b64":\#(b64),"crit":\#(crit)}"#.utf8))
    }

    static let headers = ["x-8x8-tenant-id": "tenant-1", "x-8x8-customer-id": "customer-1", "x-8x8-event-id": "event-1",
                          "x-8x8-retry": "0", "content-type": "application/json"]

    /// A webhook signed at `sentMs`; `tamper` changes the request after signing.
    func request(body: String = #"{"eventType":"MESSAGE","conversationId":"X"}"#, sentMs: Int64 = t0,
                 headers extra: [String: String] = [:], tamper: (inout HTTPRequest) -> Void = { _ in }) -> HTTPRequest {
        var headers = Self.headers.merging(extra) { $1 }
        headers["x-8x8-transmission-time"] = String(sentMs)
        let bytes = Array(body.utf8)
        let payload = "{\"checksum\":\(CRC32.checksum(bytes)),\"cid\":\"\(headers["x-8x8-customer-id"]!)\",\"eid\":\"\(headers["x-8x8-event-id"]!)\","
            + "\"retry\":\(headers["x-8x8-retry"]!),\"tid\":\"\(headers["x-8x8-tenant-id"]!)\",\"tt\":\(sentMs)}"
        let encoded = Self.encodedHeader(kid: kid)
        let signature = key.signRS256(Array((encoded + "." + payload).utf8))
        headers["x-8x8-signature"] = encoded + ".." + Base64URL.encode(signature)
        var request = HTTPRequest(method: "POST", path: "/webhooks/8x8", headers: headers, body: bytes)
        tamper(&request)
        return request
    }
}

/// `Tests/fixtures/webhook-jws-openssl.json`, made with the openssl CLI.
struct OpenSSLWebhookFixture {
    let json: JSONValue

    init(filePath: String = #filePath) throws {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/webhook-jws-openssl.json")
        json = try JSONValue.parse(bytes: Array(try Data(contentsOf: url)))
    }

    var jwkBody: [UInt8] { json["jwk"]!.serializedBytes }
    var request: HTTPRequest {
        HTTPRequest(method: "POST", path: "/webhooks/8x8", headers: json["headers"]!.objectValue!.compactMapValues(\.stringValue),
                    body: Array(json["body"]!.stringValue!.utf8))
    }
    var sentMs: Int64 { Int64(json["headers"]!["x-8x8-transmission-time"]!.stringValue!)! }
}
