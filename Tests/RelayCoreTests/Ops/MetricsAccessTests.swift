import HTTPModel
import Testing
@testable import RelayCore

@Suite struct MetricsAccessTests {
    let token = "metrics-token-0123456789"

    @Test func openWithoutAToken() {
        #expect(MetricsAccess.refusal(authorization: nil, token: nil) == nil)
        #expect(MetricsAccess.refusal(authorization: "Bearer anything", token: nil) == nil)
    }

    @Test func theRightBearerTokenIsLetIn() {
        #expect(MetricsAccess.refusal(authorization: "Bearer \(token)", token: token) == nil)
        #expect(MetricsAccess.refusal(authorization: "bearer \(token)", token: token) == nil)
    }

    @Test(arguments: [nil, "", "Bearer", "Bearer ", "Basic abc", "Bearer wrong-token-0123456789", "Bearer \("metrics-token-0123456789")x"])
    func anythingElseIs401WithAChallenge(_ header: String?) throws {
        let refusal = try #require(MetricsAccess.refusal(authorization: header, token: token))
        #expect(refusal.status == 401)
        #expect(refusal.headers["www-authenticate"] == "Bearer realm=\"metrics\"")
        #expect(refusal.jsonBody?["code"] == "unauthorized")
        #expect(!String(decoding: refusal.body, as: UTF8.self).contains(token))
    }

    @Test func protocolLabels() {
        #expect(MetricLabels.webSocketProtocol("handover.chat.v1") == "chat")
        #expect(MetricLabels.webSocketProtocol("handover.copilot.v1") == "copilot")
        #expect(MetricLabels.webSocketProtocol("handover.stream.v1") == "stream")
        #expect(MetricLabels.webSocketProtocol("simulator.console.v1") == "console")
        #expect(MetricLabels.webSocketProtocol("odd") == "odd")
    }

    @Test func callStatusLabels() {
        #expect(MetricLabels.callStatus(.response(status: 503, body: [])) == "503")
        #expect(MetricLabels.callStatus(.transportError("connection refused")) == "transport")
    }
}
