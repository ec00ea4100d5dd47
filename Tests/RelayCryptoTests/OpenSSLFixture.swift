import Foundation
import RelayJSON

/// `Tests/fixtures/webhook-jws-openssl.json`: an 8x8-style signature made with
/// the openssl CLI at development time, so the Swift code is checked against
/// an independent RSA implementation.
struct OpenSSLFixture {
    let json: JSONValue

    static func load(filePath: String = #filePath) throws -> OpenSSLFixture {
        let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/webhook-jws-openssl.json")
        return OpenSSLFixture(json: try JSONValue.parse(bytes: Array(try Data(contentsOf: url))))
    }

    var jwk: [String: String] { json["jwk"]?.objectValue?.compactMapValues(\.stringValue) ?? [:] }
    var signingInput: [UInt8] { Array((json["signingInput"]?.stringValue ?? "").utf8) }
    var signature: String { json["signature"]?.stringValue ?? "" }
}
