import HTTPModel
import RelayJSON
import Testing

@Suite struct HTTPRequestTests {
    @Test func requestNormalisesMethodAndHeaderNames() {
        let request = HTTPRequest(method: "post", path: "/a//b/", headers: ["X-8x8-Event-Id": "e1", "Content-Type": "application/json"],
                                  body: Array(#"{"a":1}"#.utf8))
        #expect(request.method == "POST")
        #expect(request.headers == ["x-8x8-event-id": "e1", "content-type": "application/json"])
        #expect(request.header("X-8X8-EVENT-ID") == "e1")
        #expect(request.header("missing") == nil)
        #expect(request.pathSegments == ["a", "b"])
        #expect(request.jsonBody == ["a": 1])
        #expect(HTTPRequest(method: "GET", path: "/", body: Array("nope".utf8)).jsonBody == nil)
    }

    @Test func responses() {
        let json = HTTPResponse.json(200, ["status": "ok"])
        #expect(json.status == 200)
        #expect(json.contentType == "application/json")
        #expect(String(decoding: json.body, as: UTF8.self) == #"{"status":"ok"}"#)
        #expect(json.jsonBody == ["status": "ok"])

        let problem = HTTPResponse.problem(404, code: "not_found", message: "no such thing")
        #expect(problem.contentType == "application/problem+json")
        #expect(String(decoding: problem.body, as: UTF8.self) == #"{"code":"not_found","message":"no such thing","status":404}"#)

        let empty = HTTPResponse.noContent()
        #expect(empty.status == 204)
        #expect(empty.body.isEmpty)
        #expect(empty.contentType == "text/plain; charset=utf-8")
    }
}
