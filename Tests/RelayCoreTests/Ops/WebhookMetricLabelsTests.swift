import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct WebhookMetricLabelsTests {
    private func body(_ json: JSONValue) -> [UInt8] { json.serializedBytes }

    @Test func knownTypesInSnakeCase() {
        #expect(WebhookMetricLabels.type(ofBody: body(["eventType": "CONVERSATION_UPDATE"])) == "conversation_update")
        #expect(WebhookMetricLabels.type(ofBody: body(["eventType": "MEMBERS_CHANGED"])) == "members_changed")
        #expect(WebhookMetricLabels.type(ofBody: body(["eventType": "WEB_HOOK_VERIFY"])) == "verify")
    }

    @Test func anyOtherTypeIsOneLabelSoSendersCannotGrowTheMetric() {
        #expect(WebhookMetricLabels.type(ofBody: body(["eventType": .string("SOMETHING_NEW_\(UInt64.random(in: 0...UInt64.max))")])) == "other")
        #expect(WebhookMetricLabels.type(ofBody: Array("not json".utf8)) == "unparseable")
        #expect(WebhookMetricLabels.type(ofBody: body(["eventType": 3])) == "unparseable")
    }

    @Test func resultsFromTheEnginesAnswers() {
        #expect(WebhookMetricLabels.result(of: .json(200, ["status": "accepted"])) == "accepted")
        #expect(WebhookMetricLabels.result(of: .json(200, ["status": "duplicate"])) == "duplicate")
        #expect(WebhookMetricLabels.result(of: .json(200, ["status": "ignored", "reason": "unknown conversation"])) == "ignored")
        #expect(WebhookMetricLabels.result(of: .json(200, ["status": "verified"])) == "verified")
        #expect(WebhookMetricLabels.result(of: .problem(400, code: "bad_webhook", message: "x")) == "bad_webhook")
        #expect(WebhookMetricLabels.result(of: .problem(503, code: "store_unavailable", message: "x")) == "store_unavailable")
    }

    @Test(arguments: [(401, "unsigned_webhook"), (401, "bad_signature"), (401, "stale_webhook"), (403, "wrong_tenant"),
                      (503, "signing_key_unavailable")])
    func signatureRefusalsAreLabelledByTheirCode(_ status: Int, _ code: String) {
        #expect(WebhookMetricLabels.result(of: .problem(status, code: code, message: "x")) == code)
    }

    @Test func refusalsByStatusUnlessTheirCodeIsListed() {
        #expect(WebhookMetricLabels.result(of: .problem(401, code: "whatever", message: "x")) == "unauthenticated")
        #expect(WebhookMetricLabels.result(of: .problem(403, code: "whatever", message: "x")) == "forbidden")
        #expect(WebhookMetricLabels.result(of: .problem(413, code: "body_too_large", message: "x")) == "status_4xx")
    }

    @Test func theEngineAnswersMapToTheDocumentedResults() {
        var h = EngineHarness()
        _ = h.requestAgent(h.connect(1))
        let (unknown, _) = h.webhook("QUEUED", conversation: "nope", data: ["queueId": "q"], eventID: "e1")
        #expect(WebhookMetricLabels.result(of: unknown) == "ignored")
        let (again, _) = h.webhook("QUEUED", conversation: "nope", data: ["queueId": "q"], eventID: "e1")
        #expect(WebhookMetricLabels.result(of: again) == "duplicate")
    }

    @Test func theScanFindsTheKeyNotTextThatMentionsIt() {
        let body = Array(#"{"data":{"text":"say \"eventType\": \"QUEUED\"","x":"eventType"} , "eventType" :  "MESSAGE"}"#.utf8)
        #expect(WebhookMetricLabels.firstStringValue(forKey: "eventType", in: body) == "MESSAGE")
        #expect(WebhookMetricLabels.type(ofBody: body) == "message")
    }

    @Test func theScanGivesUpOnWhatItCannotReadPlainly() {
        #expect(WebhookMetricLabels.firstStringValue(forKey: "eventType", in: Array(#"{"eventType":"MES\u0053AGE"}"#.utf8)) == nil)
        #expect(WebhookMetricLabels.firstStringValue(forKey: "eventType", in: Array(#"{"eventType":"MESSAGE"#.utf8)) == nil)
        #expect(WebhookMetricLabels.firstStringValue(forKey: "eventType", in: Array(#"{"eventType":null}"#.utf8)) == nil)
        #expect(WebhookMetricLabels.firstStringValue(forKey: "eventType", in: []) == nil)
    }

    @Test func theScanAgreesWithTheParserOnEveryEventTheSimulatorSends() {
        for type in WebhookMetricLabels.knownTypes.keys {
            let body: JSONValue = ["eventType": .string(type), "conversationId": "c", "timestamp": 1, "data": ["text": "eventType"]]
            #expect(WebhookMetricLabels.firstStringValue(forKey: "eventType", in: body.serializedBytes) == type)
        }
    }
}
