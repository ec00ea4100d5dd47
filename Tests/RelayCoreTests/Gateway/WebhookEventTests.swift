import RelayJSON
import Testing
@testable import RelayCore

/// Fixtures follow 8x8's documented examples (developer.8x8.com, Chat Gateway
/// "Webhooks Events Reference"): envelope {eventType, conversationId, timestamp, data}.
@Suite struct WebhookEventTests {
    private let headers = ["x-8x8-event-id": "evt-1", "x-8x8-tenant-id": "t", "x-8x8-retry": "0"]

    private func parse(_ text: String, headers: [String: String]? = nil) throws -> WebhookEvent {
        try WebhookEvent.parse(body: Array(text.utf8), headers: headers ?? self.headers)
    }

    private func parseError(_ text: String) -> WebhookParseError? {
        #expect(throws: WebhookParseError.self) { try WebhookEvent.parse(body: Array(text.utf8), headers: [:]) }
    }

    @Test func conversationUpdate() throws {
        let event = try parse(#"""
        {"eventType":"CONVERSATION_UPDATE","conversationId":"ID-0","timestamp":1700000000123,
         "data":{"state":"active","assignment":{"type":"agent","id":"agb7CaTIXvQPWmPKmTu1rJjw","resourceId":"res-1"},
                 "user":{"name":"Ada","userId":"u-1","email":"ada@example.com"},
                 "channel":{"id":"chan-1","name":"Chat API"}}}
        """#)
        #expect(event == WebhookEvent(eventID: "evt-1", conversationID: "ID-0", timestamp: 1_700_000_000_123,
                                      kind: .conversationUpdate(state: "active", assignmentType: "agent", assignmentID: "agb7CaTIXvQPWmPKmTu1rJjw")))
    }

    @Test func conversationUpdateWhileQueued() throws {
        let event = try parse(#"{"eventType":"CONVERSATION_UPDATE","conversationId":"ID-0","timestamp":0,"data":{"state":"created","assignment":{"type":"queue","id":"q-1"}}}"#)
        #expect(event.kind == .conversationUpdate(state: "created", assignmentType: "queue", assignmentID: "q-1"))
        #expect(event.timestamp == 0)
    }

    @Test func queued() throws {
        let event = try parse(#"{"eventType":"QUEUED","conversationId":"ID-0","timestamp":0,"data":{"queueId":"123","queueName":"Support"}}"#)
        #expect(event.kind == .queued(queueID: "123", queueName: "Support"))
    }

    @Test func queuedInTheOlderTopLevelShape() throws {
        let event = try parse(#"{"eventType":"QUEUED","messageType":"SYSTEM","conversationId":"ID-0","timestamp":0,"queueId":"123","queueName":"Support"}"#)
        #expect(event.kind == .queued(queueID: "123", queueName: "Support"))
    }

    @Test func queuedWithoutDetails() throws {
        #expect(try parse(#"{"eventType":"QUEUED","conversationId":"ID-0"}"#).kind == .queued(queueID: nil, queueName: nil))
    }

    @Test(arguments: [
        (#"{"memberType":"agent","change":"joined","id":"ag-1"}"#, WebhookEvent.Kind.membersChanged(memberType: "agent", change: "joined", id: "ag-1")),
        (#"{"memberType":"agent","change":"left","id":"ag-1"}"#, .membersChanged(memberType: "agent", change: "left", id: "ag-1")),
        (#"{"memberType":"user","change":"left"}"#, .membersChanged(memberType: "user", change: "left", id: nil)),
    ] as [(String, WebhookEvent.Kind)])
    func membersChanged(data: String, kind: WebhookEvent.Kind) throws {
        #expect(try parse(#"{"eventType":"MEMBERS_CHANGED","conversationId":"ID-0","timestamp":0,"data":\#(data)}"#).kind == kind)
    }

    @Test func transferHasNoData() throws {
        #expect(try parse(#"{"eventType":"TRANSFER","conversationId":"ID-0","timestamp":0}"#).kind == .transfer)
    }

    @Test func agentMessage() throws {
        let event = try parse(#"""
        {"eventType":"MESSAGE","conversationId":"ID-0","timestamp":0,
         "data":{"messageId":"m-1","isEcho":false,"sender":{"id":"ag-1","type":"agent"},"text":"Hello, how can I help?",
                 "attachments":[{"id":"a1","type":"image/png","preSignedUrl":"https://x","fileName":"a.png"}],"cards":[]}}
        """#)
        #expect(event.kind == .message(isEcho: false, senderType: "agent", senderID: "ag-1", text: "Hello, how can I help?"))
    }

    @Test func echoMessage() throws {
        let event = try parse(#"{"eventType":"MESSAGE","conversationId":"ID-0","timestamp":0,"data":{"isEcho":true,"sender":{"id":"u-1","type":"user"},"text":"hi"}}"#)
        #expect(event.kind == .message(isEcho: true, senderType: "user", senderID: "u-1", text: "hi"))
    }

    @Test func messageWithoutOptionalFields() throws {
        let event = try parse(#"{"eventType":"MESSAGE","conversationId":"ID-0","data":{}}"#)
        #expect(event.kind == .message(isEcho: false, senderType: nil, senderID: nil, text: ""))
    }

    @Test func typingWithUsers() throws {
        let event = try parse(#"{"eventType":"ACTIVITY","conversationId":"ID-0","timestamp":0,"data":{"name":"typing","value":{"users":[{"id":"ag-1","type":"agent"}]}}}"#)
        #expect(event.kind == .typing(active: true, userIDs: ["ag-1"]))
    }

    @Test func typingWithPlainStringUsers() throws {
        let event = try parse(#"{"eventType":"ACTIVITY","conversationId":"ID-0","data":{"name":"typing","value":{"users":["ag-1","ag-2"]}}}"#)
        #expect(event.kind == .typing(active: true, userIDs: ["ag-1", "ag-2"]))
    }

    @Test(arguments: [#"{"name":"typing","value":{"users":[]}}"#, #"{"name":"typing","value":{}}"#, #"{"name":"typing"}"#])
    func typingStopped(data: String) throws {
        #expect(try parse(#"{"eventType":"ACTIVITY","conversationId":"ID-0","data":\#(data)}"#).kind == .typing(active: false, userIDs: []))
    }

    @Test(arguments: [
        (#"{"name":"quickReply/action","value":{"id":"1"}}"#, "ACTIVITY/quickReply/action"),
        (#"{"name":"adaptiveCard/action"}"#, "ACTIVITY/adaptiveCard/action"),
        (#"{}"#, "ACTIVITY/?"),
    ])
    func otherActivities(data: String, name: String) throws {
        #expect(try parse(#"{"eventType":"ACTIVITY","conversationId":"ID-0","data":\#(data)}"#).kind == .other(eventType: name))
    }

    @Test func webhookVerifyNeedsNoConversation() throws {
        let event = try parse(#"{"eventType":"WEB_HOOK_VERIFY","notificationVersion":"Chat Gateway v1.0"}"#)
        #expect(event == WebhookEvent(eventID: "evt-1", conversationID: nil, timestamp: nil, kind: .verify))
    }

    @Test func unknownEventTypesAreKept() throws {
        #expect(try parse(#"{"eventType":"READ_RECEIPT","conversationId":"ID-0"}"#).kind == .other(eventType: "READ_RECEIPT"))
    }

    @Test func eventIDComesFromTheHeader() throws {
        #expect(try parse(#"{"eventType":"TRANSFER","conversationId":"c"}"#, headers: [:]).eventID == nil)
        #expect(try parse(#"{"eventType":"TRANSFER","conversationId":"c"}"#, headers: ["x-8x8-event-id": "e-9"]).eventID == "e-9")
    }

    @Test func nonIntegerTimestampIsDropped() throws {
        #expect(try parse(#"{"eventType":"TRANSFER","conversationId":"c","timestamp":"yesterday"}"#).timestamp == nil)
    }

    // MARK: malformed bodies

    @Test(arguments: ["", "not json", "{", #"{"eventType":"TRANSFER"} trailing"#])
    func notJSON(text: String) {
        #expect(parseError(text)?.message.hasPrefix("body is not JSON: invalid JSON at byte") == true)
    }

    @Test func invalidUTF8IsNotJSON() {
        #expect(throws: WebhookParseError.self) {
            try WebhookEvent.parse(body: Array(#"{"eventType":"MESSAGE","conversationId":""#.utf8) + [0xFF, 0x22, 0x7D], headers: [:])
        }
    }

    @Test(arguments: ["[]", "\"MESSAGE\"", "null", "1"])
    func notAnObject(text: String) {
        #expect(parseError(text) == WebhookParseError(message: "body must be a JSON object"))
    }

    @Test(arguments: [#"{"conversationId":"c"}"#, #"{"eventType":5,"conversationId":"c"}"#, #"{"eventType":null}"#])
    func missingEventType(text: String) {
        #expect(parseError(text) == WebhookParseError(message: "missing 'eventType'"))
    }

    @Test(arguments: ["MESSAGE", "QUEUED", "TRANSFER", "MEMBERS_CHANGED", "SOMETHING_NEW"])
    func missingConversationID(eventType: String) {
        #expect(parseError(#"{"eventType":"\#(eventType)","data":{"memberType":"agent","change":"joined"}}"#)
                == WebhookParseError(message: "missing 'conversationId'"))
        #expect(parseError(#"{"eventType":"\#(eventType)","conversationId":7}"#)
                == WebhookParseError(message: "missing 'conversationId'"))
    }

    @Test(arguments: [#"{"change":"joined","id":"a"}"#, #"{"memberType":"agent"}"#, #"{"memberType":1,"change":"left"}"#, "null"])
    func membersChangedNeedsMemberTypeAndChange(data: String) {
        #expect(parseError(#"{"eventType":"MEMBERS_CHANGED","conversationId":"c","data":\#(data)}"#)
                == WebhookParseError(message: "MEMBERS_CHANGED needs data.memberType and data.change"))
    }

    @Test func errorDescriptionIsTheMessage() {
        #expect(WebhookParseError(message: "missing 'eventType'").description == "missing 'eventType'")
    }
}
