import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

/// The codec of the messages relay nodes post to each other's inboxes.
@Suite struct ClusterMessageTests {
    static let bigID: UInt64 = RemoteConnections.firstID + 12_345
    static let allBytes = (0...255).map(UInt8.init)

    static let samples: [ClusterMessage] = [
        .opened(from: "node-a", connection: 1, channel: .chat),
        .opened(from: "node-a", connection: bigID, channel: .copilot),
        .frame(from: "node-b", connection: 7, text: #"{"type":"hello","sessionId":"s1"}"#),
        .frame(from: "node-b", connection: bigID, text: "héllo wörld 👋 — \"quoted\"\n\ttab \u{0} nul \u{7f} ☃︎"),
        .frame(from: "ñode-ü", connection: 0, text: ""),
        .drained(from: "node-a", connection: UInt64.max),
        .closed(from: "node-a", connection: bigID),
        .send(connection: bigID, text: "日本語のテキスト 🎉"),
        .send(connection: 3, text: ""),
        .close(connection: 9, code: 1012, reason: "session moved"),
        .close(connection: UInt64.max - 1, code: 65535, reason: "ünïcode réason"),
        .close(connection: 0, code: 0, reason: ""),
        .request(from: "node-c", id: 1 << 62, HTTPRequest(
            method: "POST", path: "/webhooks/8x8", query: ["a": "1", "ü": "✓"],
            headers: ["content-type": "application/octet-stream", "x-8x8-event-id": "evt-1"], body: allBytes)),
        .request(from: "node-c", id: 0, HTTPRequest(method: "GET", path: "/api/v1/sessions/s1")),
        .response(id: UInt64.max, HTTPResponse(status: 202, contentType: "application/json",
                                               headers: ["X-Custom": "v", "retry-after": "1"], body: Array(#"{"status":"accepted"}"#.utf8))),
        .response(id: 5, HTTPResponse(status: 500, contentType: "application/octet-stream", body: allBytes.reversed())),
        .response(id: 6, HTTPResponse(status: 204)),
    ]

    @Test(arguments: samples)
    func roundTrips(_ message: ClusterMessage) {
        #expect(ClusterMessage(decoding: message.encoded) == message)
    }

    @Test func bodiesOfEveryLengthRoundTrip() {
        // Base64url without padding: lengths 0, 1 and 2 modulo 3 each end differently.
        for length in 0..<10 {
            let body = Array(Self.allBytes.suffix(length))
            let request = ClusterMessage.request(from: "n", id: 1, HTTPRequest(method: "PUT", path: "/", body: body))
            let response = ClusterMessage.response(id: 2, HTTPResponse(status: 200, body: body))
            #expect(ClusterMessage(decoding: request.encoded) == request, "length \(length)")
            #expect(ClusterMessage(decoding: response.encoded) == response, "length \(length)")
        }
    }

    @Test func connectionIdsAreStringsSoLargeIdsStayExact() throws {
        // JSON numbers are doubles: 2^62 + 1 would not survive as one.
        let id = RemoteConnections.firstID + 1
        let json = try JSONValue.parse(bytes: ClusterMessage.closed(from: "a", connection: id).encoded)
        #expect(json["conn"] == .string("4611686018427387905"))
        #expect(json["t"] == "closed")
        let request = try JSONValue.parse(bytes: ClusterMessage.request(from: "a", id: UInt64.max, HTTPRequest(method: "GET", path: "/")).encoded)
        #expect(request["id"] == .string("18446744073709551615"))
    }

    @Test func aRequestsMethodAndHeaderNamesAreNormalisedAsHTTPRequestDoes() {
        let message = ClusterMessage.request(from: "n", id: 1, HTTPRequest(method: "post", path: "/x", headers: ["X-Mixed-Case": "V"]))
        guard case .request(_, _, let request)? = ClusterMessage(decoding: message.encoded) else {
            Issue.record("did not decode")
            return
        }
        #expect(request.method == "POST")
        #expect(request.header("x-mixed-case") == "V")
    }

    @Test(arguments: [
        "",
        "not json",
        "[1,2]",
        #""opened""#,
        "{}",
        #"{"t":"nonsense","from":"a","conn":"1"}"#,
        #"{"t":1,"from":"a","conn":"1"}"#,
        #"{"T":"closed","from":"a","conn":"1"}"#,
        // opened
        #"{"t":"opened","conn":"1","channel":"chat"}"#,
        #"{"t":"opened","from":"a","channel":"chat"}"#,
        #"{"t":"opened","from":"a","conn":"1"}"#,
        #"{"t":"opened","from":"a","conn":"1","channel":"stream"}"#,
        #"{"t":"opened","from":"a","conn":"1","channel":1}"#,
        #"{"t":"opened","from":7,"conn":"1","channel":"chat"}"#,
        // connection ids: decimal strings of a UInt64 only
        #"{"t":"closed","from":"a","conn":1}"#,
        #"{"t":"closed","from":"a","conn":"-1"}"#,
        #"{"t":"closed","from":"a","conn":"0x10"}"#,
        #"{"t":"closed","from":"a","conn":"1.5"}"#,
        #"{"t":"closed","from":"a","conn":""}"#,
        #"{"t":"closed","from":"a","conn":"18446744073709551616"}"#,
        #"{"t":"closed","from":"a","conn":null}"#,
        #"{"t":"drained","conn":"1"}"#,
        // frame / send
        #"{"t":"frame","from":"a","conn":"1"}"#,
        #"{"t":"frame","from":"a","conn":"1","text":5}"#,
        #"{"t":"send","conn":"1"}"#,
        #"{"t":"send","text":"x"}"#,
        #"{"t":"send","conn":"1","text":["x"]}"#,
        // close: a code that fits a UInt16
        #"{"t":"close","conn":"1","code":65536,"reason":"r"}"#,
        #"{"t":"close","conn":"1","code":100000,"reason":"r"}"#,
        #"{"t":"close","conn":"1","code":-1,"reason":"r"}"#,
        #"{"t":"close","conn":"1","code":1000.5,"reason":"r"}"#,
        #"{"t":"close","conn":"1","code":"1000","reason":"r"}"#,
        #"{"t":"close","conn":"1","reason":"r"}"#,
        #"{"t":"close","conn":"1","code":1000}"#,
        // request / response
        #"{"t":"request","from":"a","id":"1","method":"GET","path":"/"}"#,
        #"{"t":"request","from":"a","id":"1","method":"GET","path":"/","body":"a b"}"#,
        #"{"t":"request","from":"a","id":"1","method":"GET","path":"/","body":"AA=="}"#,
        #"{"t":"request","from":"a","id":"1","method":"GET","body":""}"#,
        #"{"t":"request","from":"a","id":"1","path":"/","body":""}"#,
        #"{"t":"request","from":"a","id":1,"method":"GET","path":"/","body":""}"#,
        #"{"t":"request","id":"1","method":"GET","path":"/","body":""}"#,
        #"{"t":"response","id":"1","status":"200","contentType":"text/plain","body":""}"#,
        #"{"t":"response","id":"1","status":200,"body":""}"#,
        #"{"t":"response","id":"1","status":200,"contentType":"text/plain"}"#,
        #"{"t":"response","status":200,"contentType":"text/plain","body":""}"#,
        #"{"t":"response","id":"1","status":200.5,"contentType":"text/plain","body":""}"#,
    ])
    func malformedMessagesDecodeToNil(_ text: String) {
        #expect(ClusterMessage(decoding: Array(text.utf8)) == nil)
    }

    @Test func notUTF8DecodesToNil() {
        #expect(ClusterMessage(decoding: [0xff, 0xfe, 0x00]) == nil)
        #expect(ClusterMessage(decoding: []) == nil)
    }

    @Test func extraFieldsAndNonStringHeadersAreIgnored() {
        let text = #"{"t":"response","id":"1","status":200,"contentType":"text/plain","headers":{"a":"b","n":1},"body":"","extra":true}"#
        #expect(ClusterMessage(decoding: Array(text.utf8)) == .response(id: 1, HTTPResponse(status: 200, contentType: "text/plain", headers: ["a": "b"])))
    }
}
