import HTTPModel
import RelayJSON
import Testing

@Suite struct OutboundRequestTests {
    @Test func defaults() {
        let request = OutboundRequest(method: "GET", url: HTTPURL("http://h")!)
        #expect(request.headers.isEmpty)
        #expect(request.body.isEmpty)
        #expect(request.timeoutMs == 10_000)
        #expect(request.jsonBody == nil)
        #expect(OutboundRequest(method: "POST", url: HTTPURL("http://h")!, body: Array("[1]".utf8)).jsonBody == [1])
    }

    @Test(arguments: [
        (OutboundResult.response(status: 200, body: []), true, false),
        (.response(status: 202, body: []), true, false),
        (.response(status: 299, body: []), true, false),
        (.response(status: 301, body: []), false, false),
        (.response(status: 400, body: []), false, false),
        (.response(status: 404, body: []), false, false),
        (.response(status: 408, body: []), false, true),
        (.response(status: 429, body: []), false, true),
        (.response(status: 500, body: []), false, true),
        (.response(status: 503, body: []), false, true),
        (.transportError("refused"), false, true),
    ] as [(OutboundResult, Bool, Bool)])
    func successAndRetryability(result: OutboundResult, success: Bool, retryable: Bool) {
        #expect(result.isSuccess == success)
        #expect(result.isRetryable == retryable)
    }

    @Test func statusAndJSONBody() {
        #expect(OutboundResult.response(status: 202, body: Array(#"{"conversationId":"X"}"#.utf8)).jsonBody == ["conversationId": "X"])
        #expect(OutboundResult.response(status: 202, body: []).jsonBody == nil)
        #expect(OutboundResult.transportError("x").jsonBody == nil)
        #expect(OutboundResult.transportError("x").status == nil)
        #expect(OutboundResult.response(status: 418, body: []).status == 418)
    }
}
