import Testing
@testable import RelayCore

@Suite struct ClientFrameTests {
    private func decodeError(_ text: String, limits: ChatLimits = ChatLimits()) -> ChatProtocolError? {
        #expect(throws: ChatProtocolError.self) { try ClientFrame.decode(text, limits: limits) }
    }

    // MARK: every frame type

    @Test func helloMinimal() throws {
        #expect(try ClientFrame.decode(#"{"type":"hello"}"#) == .hello(.init()))
        #expect(try ClientFrame.decode(#"{"type":"hello","user":null,"sessionId":null,"lastSeq":null}"#) == .hello(.init()))
    }

    @Test func helloWithEverything() throws {
        let text = #"""
        {"type":"hello","user":{"name":"Ada","email":"ada@example.com","phone":"+1 555","company":"ACME","language":"de","userId":"u-1"},
         "sessionId":"s1","resumeToken":"tok","lastSeq":7}
        """#
        #expect(try ClientFrame.decode(text) == .hello(.init(
            user: UserInfo(name: "Ada", email: "ada@example.com", phone: "+1 555", company: "ACME", language: "de", userId: "u-1"),
            sessionID: SessionID("s1"), resumeToken: "tok", lastSeq: 7)))
    }

    @Test func helloIgnoresUnknownUserFields() throws {
        #expect(try ClientFrame.decode(#"{"type":"hello","user":{"name":"Ada","shoeSize":43}}"#)
                == .hello(.init(user: UserInfo(name: "Ada"))))
    }

    @Test func message() throws {
        #expect(try ClientFrame.decode(#"{"type":"message","id":"m1","text":"hello there"}"#) == .message(id: "m1", text: "hello there"))
        #expect(try ClientFrame.decode(#"{"text":" padded ","id":"x","type":"message","extra":1}"#) == .message(id: "x", text: " padded "))
    }

    @Test(arguments: [true, false])
    func typing(active: Bool) throws {
        #expect(try ClientFrame.decode(#"{"type":"typing","active":\#(active)}"#) == .typing(active: active))
    }

    @Test(arguments: [
        ("request_handover", ClientFrame.requestHandover),
        ("cancel_handover", .cancelHandover),
        ("end", .end),
    ] as [(String, ClientFrame)])
    func fieldlessFrames(type: String, expected: ClientFrame) throws {
        #expect(try ClientFrame.decode(#"{"type":"\#(type)"}"#) == expected)
    }

    // MARK: bad_json

    @Test(arguments: ["", "not json", "{", #"{"type":"hello"} x"#, "\u{0}"])
    func notJSONIsBadJSON(text: String) {
        let error = decodeError(text)
        #expect(error?.code == .badJSON)
        #expect(error?.message.hasPrefix("frame is not JSON: invalid JSON at byte") == true)
        #expect(error?.ref == nil)
    }

    @Test(arguments: [("[]", "array"), ("\"hello\"", "string"), ("42", "number"), ("null", "null"), ("true", "boolean")])
    func nonObjectIsBadJSON(text: String, typeName: String) {
        #expect(decodeError(text) == ChatProtocolError(.badJSON, "frame must be a JSON object, got \(typeName)"))
    }

    // MARK: bad_frame names the field

    @Test(arguments: [
        (#"{}"#, "missing field 'type'"),
        (#"{"type":null}"#, "missing field 'type'"),
        (#"{"type":1}"#, "'type' must be a string, got number"),
        (#"{"type":"message","text":"hi"}"#, "missing field 'id'"),
        (#"{"type":"message","id":"","text":"hi"}"#, "missing field 'id'"),
        (#"{"type":"message","id":5,"text":"hi"}"#, "'id' must be a string, got number"),
        (#"{"type":"typing"}"#, "'active' must be a boolean"),
        (#"{"type":"typing","active":"yes"}"#, "'active' must be a boolean"),
        (#"{"type":"typing","active":1}"#, "'active' must be a boolean"),
        (#"{"type":"hello","user":"Ada"}"#, "'user' must be an object"),
        (#"{"type":"hello","user":[]}"#, "'user' must be an object"),
        (#"{"type":"hello","user":{"name":1}}"#, "'user.name' must be a string, got number"),
        (#"{"type":"hello","user":{"email":true}}"#, "'user.email' must be a string, got boolean"),
        (#"{"type":"hello","user":{"phone":{}}}"#, "'user.phone' must be a string, got object"),
        (#"{"type":"hello","user":{"company":[]}}"#, "'user.company' must be a string, got array"),
        (#"{"type":"hello","user":{"language":7}}"#, "'user.language' must be a string, got number"),
        (#"{"type":"hello","user":{"userId":1}}"#, "'user.userId' must be a string, got number"),
        (#"{"type":"hello","sessionId":1}"#, "'sessionId' must be a string, got number"),
        (#"{"type":"hello","resumeToken":false}"#, "'resumeToken' must be a string, got boolean"),
        (#"{"type":"hello","lastSeq":-1}"#, "'lastSeq' must be a non-negative integer"),
        (#"{"type":"hello","lastSeq":1.5}"#, "'lastSeq' must be a non-negative integer"),
        (#"{"type":"hello","lastSeq":"3"}"#, "'lastSeq' must be a non-negative integer"),
    ])
    func badFrameNamesTheField(text: String, message: String) {
        #expect(decodeError(text) == ChatProtocolError(.badFrame, message))
    }

    @Test(arguments: [
        (#"{"type":"message","id":"m7"}"#, "missing field 'text'"),
        (#"{"type":"message","id":"m7","text":""}"#, "missing field 'text'"),
        (#"{"type":"message","id":"m7","text":null}"#, "missing field 'text'"),
        (#"{"type":"message","id":"m7","text":3}"#, "'text' must be a string, got number"),
        (#"{"type":"message","id":"m7","text":"   \n\t"}"#, "'text' is empty"),
    ])
    func messageErrorsCarryTheClientID(text: String, message: String) {
        #expect(decodeError(text) == ChatProtocolError(.badFrame, message, ref: "m7"))
    }

    // MARK: unknown_type

    @Test(arguments: ["Hello", "ping", "", "message_v2"])
    func unknownType(type: String) {
        #expect(decodeError(#"{"type":"\#(type)"}"#) == ChatProtocolError(.unknownType, "unknown frame type '\(type)'"))
    }

    @Test func unknownTypeIsTruncatedInTheMessage() {
        let long = String(repeating: "x", count: 500)
        #expect(decodeError(#"{"type":"\#(long)"}"#)?.message == "unknown frame type '\(String(repeating: "x", count: 64))'")
    }

    // MARK: length limits

    @Test func messageTextLimitIs4000Characters() throws {
        let max = String(repeating: "a", count: 4000)
        #expect(try ClientFrame.decode(#"{"type":"message","id":"m","text":"\#(max)"}"#) == .message(id: "m", text: max))
        #expect(decodeError(#"{"type":"message","id":"m","text":"\#(max)b"}"#)
                == ChatProtocolError(.badFrame, "'text' is longer than 4000 characters", ref: "m"))
        // Characters, not bytes: 4000 multi-byte characters are fine.
        let wide = String(repeating: "é", count: 4000)
        #expect(try ClientFrame.decode(#"{"type":"message","id":"m","text":"\#(wide)"}"#) == .message(id: "m", text: wide))
    }

    @Test func clientIDLimitIs128Characters() throws {
        let id = String(repeating: "i", count: 128)
        #expect(try ClientFrame.decode(#"{"type":"message","id":"\#(id)","text":"t"}"#) == .message(id: id, text: "t"))
        let error = decodeError(#"{"type":"message","id":"\#(id)i","text":"t"}"#)
        #expect(error == ChatProtocolError(.badFrame, "'id' is longer than 128 characters"))
    }

    @Test func helloFieldLimits() throws {
        let name256 = String(repeating: "n", count: 256)
        #expect(try ClientFrame.decode(#"{"type":"hello","user":{"name":"\#(name256)"}}"#) == .hello(.init(user: UserInfo(name: name256))))
        for field in ["name", "email", "phone", "company", "userId"] {
            #expect(decodeError(#"{"type":"hello","user":{"\#(field)":"\#(name256)x"}}"#)
                    == ChatProtocolError(.badFrame, "'user.\(field)' is longer than 256 characters"))
        }
        #expect(decodeError(#"{"type":"hello","user":{"language":"\#(String(repeating: "l", count: 17))"}}"#)
                == ChatProtocolError(.badFrame, "'user.language' is longer than 16 characters"))
        #expect(decodeError(#"{"type":"hello","sessionId":"\#(String(repeating: "s", count: 129))"}"#)
                == ChatProtocolError(.badFrame, "'sessionId' is longer than 128 characters"))
        #expect(decodeError(#"{"type":"hello","resumeToken":"\#(String(repeating: "r", count: 257))"}"#)
                == ChatProtocolError(.badFrame, "'resumeToken' is longer than 256 characters"))
    }

    @Test func customLimitsApply() throws {
        var limits = ChatLimits()
        limits.maxTextLength = 5
        limits.maxClientIdLength = 2
        limits.maxUserFieldLength = 3
        #expect(try ClientFrame.decode(#"{"type":"message","id":"ab","text":"12345"}"#, limits: limits) == .message(id: "ab", text: "12345"))
        #expect(decodeError(#"{"type":"message","id":"ab","text":"123456"}"#, limits: limits)?.message == "'text' is longer than 5 characters")
        #expect(decodeError(#"{"type":"message","id":"abc","text":"1"}"#, limits: limits)?.message == "'id' is longer than 2 characters")
        #expect(decodeError(#"{"type":"hello","user":{"name":"Adam"}}"#, limits: limits)?.message == "'user.name' is longer than 3 characters")
    }

    @Test func defaultLimits() {
        let limits = ChatLimits()
        #expect(limits.maxTextLength == 4000)
        #expect(limits.maxClientIdLength == 128)
        #expect(limits.maxUserFieldLength == 256)
    }
}
