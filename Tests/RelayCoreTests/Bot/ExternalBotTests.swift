import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct ExternalBotTests {
    let settings = ExternalBotSettings(url: HTTPURL("https://bot.example.com/turn")!, headers: ["authorization": "Bearer t"], timeoutMs: 3_000)

    @Test func sessionStartedRequest() {
        let request = ExternalBot.request(settings, sessionID: SessionID("s1"), user: UserInfo(name: "Ada", userId: "u-1"), event: .sessionStarted(UserInfo(name: "Ada")))
        #expect(request.method == "POST")
        #expect(request.url.description == "https://bot.example.com/turn")
        #expect(request.headers == ["authorization": "Bearer t", "content-type": "application/json"])
        #expect(request.timeoutMs == 3_000)
        #expect(String(decoding: request.body, as: UTF8.self)
                == #"{"event":"session_started","sessionId":"s1","user":{"name":"Ada","userId":"u-1"}}"#)
    }

    @Test func messageRequest() {
        let request = ExternalBot.request(settings, sessionID: SessionID("s1"), user: UserInfo(), event: .userMessage("hi \"bot\""))
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"event":"message","sessionId":"s1","text":"hi \"bot\"","user":{}}"#)
    }

    @Test func handoverFinishedRequest() {
        let request = ExternalBot.request(settings, sessionID: SessionID("s1"), user: UserInfo(), event: .handoverFinished(.failed(reason: "down")))
        #expect(String(decoding: request.body, as: UTF8.self)
                == #"{"event":"handover_finished","handover":{"reason":"down","state":"failed"},"sessionId":"s1","user":{}}"#)
    }

    @Test func userJSONIncludesEverySetField() {
        let user = UserInfo(name: "A", email: "e", phone: "p", company: "c", language: "l", userId: "u")
        #expect(ExternalBot.userJSON(user) == ["name": "A", "email": "e", "phone": "p", "company": "c", "language": "l", "userId": "u"])
    }

    @Test func contentTypeOverridesConfiguredHeader() {
        let s = ExternalBotSettings(url: HTTPURL("http://bot")!, headers: ["Content-Type-X": "1", "content-type": "text/plain"])
        #expect(ExternalBot.request(s, sessionID: SessionID("s"), user: UserInfo(), event: .userMessage("x")).headers["content-type"] == "application/json")
        #expect(ExternalBotSettings(url: HTTPURL("http://bot")!).timeoutMs == 10_000)
    }

    private func reply(_ status: Int, _ body: String) -> BotTurn? {
        ExternalBot.parseReply(.response(status: status, body: Array(body.utf8)))
    }

    @Test func repliesAsStringsAndObjects() {
        #expect(reply(200, #"{"replies":["one",{"text":"two"},{"nope":1},3,null,{"text":"three"}]}"#)
                == BotTurn(replies: ["one", "two", "three"]))
    }

    @Test func noRepliesKey() {
        #expect(reply(200, "{}") == BotTurn(replies: []))
        #expect(reply(201, #"{"replies":"not a list"}"#) == BotTurn(replies: []))
    }

    @Test func handoverObject() {
        let turn = reply(200, #"""
        {"replies":["Connecting"],"handover":{"settings":"vip","provider":"eu","channelId":"ch","queueId":"q7","properties":{"user":{"company":"X"}}}}
        """#)
        #expect(turn == BotTurn(replies: ["Connecting"], handover: HandoverRequest(
            settingsName: "vip", provider: "eu", channelID: "ch", queueID: "q7", properties: ["user": ["company": "X"]])))
    }

    @Test func emptyHandoverObjectUsesTheDefaults() {
        #expect(reply(200, #"{"handover":{}}"#) == BotTurn(replies: [], handover: HandoverRequest()))
    }

    @Test(arguments: [#"{"handover":true}"#, #"{"handover":"yes"}"#, #"{"handover":null}"#, #"{"handover":[]}"#])
    func nonObjectHandoverIsNoHandover(body: String) {
        #expect(reply(200, body) == BotTurn(replies: []))
    }

    @Test(arguments: [200, 204])
    func emptyBodyIsSilence(status: Int) {
        #expect(reply(status, "") == BotTurn(replies: []))
    }

    @Test(arguments: [301, 400, 404, 500, 503])
    func nonSuccessIsNil(status: Int) {
        #expect(reply(status, #"{"replies":["should not be used"]}"#) == nil)
        #expect(reply(status, "") == nil)
    }

    @Test func transportErrorIsNil() {
        #expect(ExternalBot.parseReply(.transportError("connection refused")) == nil)
    }

    @Test(arguments: ["garbage", "<html>oops</html>", "[\"a\"]", "\"text\"", "{\"replies\":"])
    func garbageIsNil(body: String) {
        #expect(reply(200, body) == nil)
    }
}
