import HTTPModel
import RelayCore

/// `POST /webhooks/8x8`: `WebhookEvent.parse` on any body and headers, then
/// the engine (with a live handover on conversation "X") handles the request.
/// A body the parser refuses is answered 400, any other 2xx (8x8 retries the rest).
///
/// Input format: optional `name: value` header lines, an empty line, the raw
/// body. An input starting with `{` or without an empty line is all body.
enum WebhookFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        let (headers, body) = split(input)
        let request = HTTPRequest(method: "POST", path: "/webhooks/8x8", headers: headers, body: body)
        let parsed = try? WebhookEvent.parse(body: request.body, headers: request.headers)
        var fixture = EngineFixture.prototype
        let (response, _) = fixture.engine.webhook(request, now: fixture.now)
        if parsed == nil {
            check.expect(response.status == 400, "refused webhook answered \(response.status), not 400")
        } else {
            check.expect((200..<300).contains(response.status), "accepted webhook answered \(response.status)")
        }
    }

    static func split(_ input: [UInt8]) -> (headers: [String: String], body: [UInt8]) {
        guard input.first != UInt8(ascii: "{"), let blank = blankLine(in: input) else { return ([:], input) }
        var headers: [String: String] = [:]
        for line in input[..<blank.start].split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            headers[String(text[..<colon])] = String(text[text.index(after: colon)...]).trimmingSpaces
        }
        return (headers, Array(input[blank.end...]))
    }

    private static func blankLine(in bytes: [UInt8]) -> (start: Int, end: Int)? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0A, bytes[i + 1] == 0x0A { return (i, i + 2) }
            if bytes[i] == 0x0A, bytes[i + 1] == 0x0D, i + 2 < bytes.count, bytes[i + 2] == 0x0A { return (i, i + 3) }
            i += 1
        }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = self[...]
        while s.first == " " || s.first == "\t" || s.first == "\r" { s.removeFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r" { s.removeLast() }
        return String(s)
    }
}
