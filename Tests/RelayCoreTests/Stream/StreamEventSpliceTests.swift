import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// The spliced event frame is byte for byte the envelope serialized.
@Suite struct StreamEventSpliceTests {
    private func stored(_ wire: JSONValue, handover: HandoverSettings?) -> StoredEvent {
        StoredEvent(offset: 9_007_199_254, sessionID: "s\"1", seq: 42, ts: 1_700_000_000_123, kind: "message",
                    payload: LogPayload.make(wire: wire, handover: handover))
    }

    @Test(arguments: [
        ["type": "message", "from": "user", "text": "plain"] as JSONValue,
        ["type": "message", "text": #"tricky "quotes" } ] , {"provider":"x"} \ and 😀 and \u{2028}"#],
        ["type": "handover", "state": "queued", "nested": ["a": [1, 2.5, true, .null]]],
        [:],
    ])
    func spliceEqualsTheSerializedEnvelope(wire: JSONValue) {
        for handover in [nil, HandoverSettings(provider: "eu", channelID: "c", queueID: "q \"vip\"")] {
            let event = stored(wire, handover: handover)
            #expect(StreamFrame.event(event) == StreamFrame.envelope(event).serialized)
        }
    }

    @Test func aPayloadOfAnotherShapeFallsBackToTheParsedEnvelope() {
        let odd = StoredEvent(offset: 1, sessionID: "s", seq: 1, ts: 1, kind: "x", payload: ["other": 1])
        #expect(StreamFrame.event(odd) == StreamFrame.envelope(odd).serialized)
        let garbage = StoredEvent(offset: 1, sessionID: "s", seq: 1, ts: 1, kind: "x", payloadJSON: Array("{\"event\":{".utf8))
        #expect(StreamFrame.event(garbage) == StreamFrame.envelope(garbage).serialized)
    }

    @Test func filtersReadTheRoutingFieldsWithoutTheEvent() {
        let event = stored(["type": "message"], handover: HandoverSettings(provider: "eu", channelID: "c", queueID: "vip"))
        #expect(StreamFilter(providers: ["eu"]).matches(event))
        #expect(!StreamFilter(queues: ["support"]).matches(event))
        #expect(StreamFilter(providers: ["eu"], queues: ["vip"]).matches(event))
    }
}
