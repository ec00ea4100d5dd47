import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// The `subscribe` frame of `handover.stream.v1` and the frames the relay sends.
@Suite struct StreamSubscribeTests {
    func decode(_ value: JSONValue) throws(StreamSubscribe.DecodeError) -> StreamSubscribe {
        try StreamSubscribe.decode(value.serialized)
    }

    /// The message of the decode error for `text`, nil if it decodes.
    func failure(_ text: String) -> String? {
        do {
            _ = try StreamSubscribe.decode(text)
            return nil
        } catch {
            return error.message
        }
    }

    func failure(_ value: JSONValue) -> String? { failure(value.serialized) }

    func failure(filter: JSONValue) -> String? { failure(["type": "subscribe", "token": "t", "filter": filter]) }
    func failure(from: JSONValue) -> String? { failure(["type": "subscribe", "token": "t", "from": from]) }
    func position(_ from: JSONValue) throws -> StreamPosition {
        try decode(["type": "subscribe", "token": "t", "from": from]).from
    }

    // MARK: the minimal and the full frame

    @Test func aTokenAloneSubscribesToEverythingFromNow() throws {
        let s = try decode(["type": "subscribe", "token": "abc"])
        #expect(s == StreamSubscribe(token: "abc", filter: StreamFilter(), from: .now))
    }

    @Test func everyFilterListIsRead() throws {
        let s = try decode([
            "type": "subscribe", "token": "abc",
            "filter": ["sessions": ["s1", "s2", "s1"], "types": ["handover"], "providers": ["acme"], "queues": ["vip", "q"]],
            "from": ["offset": 12, "epoch": "e1"],
        ])
        #expect(s.filter == StreamFilter(sessions: ["s1", "s2"], types: ["handover"], providers: ["acme"], queues: ["vip", "q"]))
        #expect(s.from == .after(offset: 12, epoch: "e1"))
    }

    @Test func nullFilterAndNullListsMeanNoRestriction() throws {
        #expect(try decode(["type": "subscribe", "token": "t", "filter": nil]).filter == StreamFilter())
        #expect(try decode(["type": "subscribe", "token": "t", "filter": ["sessions": nil, "types": ["message"]]]).filter
            == StreamFilter(types: ["message"]))
        #expect(try decode(["type": "subscribe", "token": "t", "filter": [:]]).filter == StreamFilter())
    }

    // MARK: frame-level errors

    @Test func aFrameThatIsNotAJSONObjectIsRefused() {
        for text in ["", "nope", "{", "[1,2]", "\"subscribe\"", "42", "null"] {
            #expect(failure(text) == "frame is not a JSON object", "\(text)")
        }
    }

    @Test func theTypeMustBeSubscribe() {
        #expect(failure(["token": "t"]) == "expected type \"subscribe\"")
        #expect(failure(["type": "hello", "token": "t"]) == "expected type \"subscribe\"")
        #expect(failure(["type": 1, "token": "t"]) == "expected type \"subscribe\"")
    }

    @Test func theTokenMustBeANonEmptyStringOfAtMost4096Bytes() {
        let message = "'token' must be a non-empty string"
        #expect(failure(["type": "subscribe"]) == message)
        #expect(failure(["type": "subscribe", "token": ""]) == message)
        #expect(failure(["type": "subscribe", "token": 5]) == message)
        #expect(failure(["type": "subscribe", "token": nil]) == message)
        #expect(failure(["type": "subscribe", "token": .string(String(repeating: "a", count: 4097))]) == message)
        #expect(failure(["type": "subscribe", "token": .string(String(repeating: "a", count: 4096))]) == nil)
    }

    // MARK: filter errors

    @Test func theFilterMustBeAnObject() {
        #expect(failure(filter: 5) == "'filter' must be an object")
        #expect(failure(filter: ["s1"]) == "'filter' must be an object")
        #expect(failure(filter: "sessions") == "'filter' must be an object")
    }

    @Test func unknownFilterFieldsAreRefused() {
        #expect(failure(filter: ["session": ["s1"]]) == "unknown filter field 'session'")
        #expect(failure(filter: ["sessions": ["s1"], "agents": ["a"]]) == "unknown filter field 'agents'")
        let long = String(repeating: "k", count: 100)
        #expect(failure(filter: [long: []]) == "unknown filter field '\(String(repeating: "k", count: 64))'")
    }

    @Test func unknownEventTypesAreRefused() {
        #expect(failure(filter: ["types": ["message", "typing"]]) == "unknown event type 'typing' (known: message, handover)")
        // The first unknown one in sorted order is named.
        #expect(failure(filter: ["types": ["zap", "copilot"]]) == "unknown event type 'copilot' (known: message, handover)")
    }

    @Test func listsMustBeArraysOfAtMost1000NonEmptyStrings() {
        for key in ["sessions", "types", "providers", "queues"] {
            let shape = "'filter.\(key)' must be an array of at most 1000 strings"
            let items = "'filter.\(key)' must hold non-empty strings"
            #expect(failure(filter: [key: "s1"]) == shape)
            #expect(failure(filter: [key: ["a": "b"]]) == shape)
            #expect(failure(filter: [key: .array((0...1000).map { .string("v\($0)") })]) == shape)
            #expect(failure(filter: [key: [1]]) == items)
            #expect(failure(filter: [key: [""]]) == items)
            #expect(failure(filter: [key: [nil]]) == items)
            #expect(failure(filter: [key: [.string(String(repeating: "a", count: 257))]]) == items)
        }
        // The limits themselves are allowed.
        #expect(failure(filter: ["sessions": .array((0..<1000).map { .string("v\($0)") })]) == nil)
        #expect(failure(filter: ["queues": [.string(String(repeating: "a", count: 256))]]) == nil)
    }

    // MARK: from

    @Test func fromNowStartOrAbsent() throws {
        #expect(try decode(["type": "subscribe", "token": "t"]).from == .now)
        #expect(try position(nil) == .now)
        #expect(try position("now") == .now)
        #expect(try position("start") == .after(offset: 0, epoch: nil))
    }

    @Test func fromAnOffsetWithOrWithoutEpoch() throws {
        #expect(try position(["offset": 12, "epoch": "e1"]) == .after(offset: 12, epoch: "e1"))
        #expect(try position(["offset": 12]) == .after(offset: 12, epoch: nil))
        #expect(try position(["offset": 0, "epoch": nil]) == .after(offset: 0, epoch: nil))
        // An offset wins over a timestamp.
        #expect(try position(["offset": 3, "ts": 99]) == .after(offset: 3, epoch: nil))
    }

    @Test func fromATimestamp() throws {
        #expect(try position(["ts": .number(Double(t0))]) == .since(ts: t0))
        #expect(try position(["ts": 0]) == .since(ts: 0))
    }

    @Test func invalidPositionsAreRefused() {
        let shape = "'from' must be \"now\", \"start\", {\"offset\",\"epoch\"} or {\"ts\"}"
        #expect(failure(from: "later") == shape)
        #expect(failure(from: 5) == shape)
        #expect(failure(from: [1]) == shape)
        #expect(failure(from: true) == shape)
        #expect(failure(from: ["offset": -1]) == "'from.offset' must be a non-negative integer")
        #expect(failure(from: ["offset": 1.5]) == "'from.offset' must be a non-negative integer")
        #expect(failure(from: ["offset": "3"]) == "'from.offset' must be a non-negative integer")
        #expect(failure(from: ["offset": nil]) == "'from.offset' must be a non-negative integer")
        #expect(failure(from: ["offset": 3, "epoch": 7]) == "'from.epoch' must be a string")
        #expect(failure(from: ["offset": 3, "epoch": ["e"]]) == "'from.epoch' must be a string")
        #expect(failure(from: ["ts": -5]) == "'from.ts' must be a non-negative integer (ms)")
        #expect(failure(from: ["ts": "yesterday"]) == "'from.ts' must be a non-negative integer (ms)")
        #expect(failure(from: [:]) == "'from' needs 'offset' (with 'epoch') or 'ts'")
        #expect(failure(from: ["epoch": "e1"]) == "'from' needs 'offset' (with 'epoch') or 'ts'")
    }

    // MARK: frames the relay sends

    @Test func subscribedFrame() {
        #expect(StreamFrame.subscribed(epoch: "e1", position: 3, lastOffset: 9, recovered: true, reason: nil)
            == #"{"epoch":"e1","lastOffset":9,"position":3,"recovered":true,"type":"subscribed"}"#)
        #expect(StreamFrame.subscribed(epoch: "e1", position: 0, lastOffset: 9, recovered: false, reason: "epoch_changed")
            == #"{"epoch":"e1","lastOffset":9,"position":0,"reason":"epoch_changed","recovered":false,"type":"subscribed"}"#)
    }

    @Test func eventFrameCarriesTheEnvelopeWithProviderAndQueueWhenKnown() {
        let handover = StoredEvent(offset: 7, handoverEntry("s1", seq: 4, state: .requested(queueID: "vip"), provider: "acme", queue: "vip"))
        #expect(StreamFrame.event(handover) == #"{"event":{"queueId":"vip","seq":4,"state":"requested","ts":1700000000000,"type":"handover"},"#
            + #""kind":"handover","offset":7,"provider":"acme","queue":"vip","seq":4,"sessionId":"s1","ts":1700000000000,"type":"event"}"#)
        let bot = StoredEvent(offset: 1, messageEntry("s2", seq: 1, text: "hi", from: .bot))
        #expect(json(StreamFrame.event(bot)) == [
            "type": "event", "offset": 1, "sessionId": "s2", "seq": 1, "ts": .number(Double(t0)), "kind": "message",
            "event": ["seq": 1, "ts": .number(Double(t0)), "type": "message", "from": "bot", "text": "hi"],
        ])
        #expect(StreamFrame.envelope(bot) == json(StreamFrame.event(bot)))
        // A payload without an event (not one this relay writes) shows null rather than failing.
        let odd = StoredEvent(offset: 2, sessionID: "s3", seq: 1, ts: 5, kind: "message", payload: ["other": 1])
        #expect(StreamFrame.envelope(odd)["event"] == .null)
    }

    @Test func liveErrorAndPositionFrames() {
        #expect(StreamFrame.live(offset: 42) == #"{"offset":42,"type":"live"}"#)
        #expect(StreamFrame.position(offset: 17) == #"{"offset":17,"type":"position"}"#)
        #expect(StreamFrame.error(code: "too_slow", message: "behind") == #"{"code":"too_slow","message":"behind","type":"error"}"#)
    }

    @Test func closeCodes() {
        #expect(StreamCloseCode.badFrame == 4400)
        #expect(StreamCloseCode.badToken == 4401)
        #expect(StreamCloseCode.forbidden == 4403)
        #expect(StreamCloseCode.badPosition == 4416)
        #expect(StreamCloseCode.tooSlow == 4429)
        #expect(StreamCloseCode.storeUnavailable == 1011)
    }
}
