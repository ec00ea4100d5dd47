import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// A stream hub over an in-memory log, driven like `RelayHost` drives it:
/// frames in, `committed` after each append, `drained` when a socket emptied.
struct HubHarness {
    var hub: StreamHub
    let store: InMemoryStore
    var now: Int64 = t0
    private var seqs: [String: Int] = [:]

    init(limits: StreamHub.Limits = StreamHub.Limits(), epoch: String = "e1") {
        hub = StreamHub(secret: devSecret, limits: limits)
        store = InMemoryStore(epoch: epoch)
    }

    /// Connects `n` and sends it a subscribe frame.
    mutating func subscribe(_ n: UInt64, token: String = streamToken(), filter: JSONValue? = nil,
                            from: JSONValue? = nil) -> [RelayEffect] {
        var frame: [String: JSONValue] = ["type": "subscribe", "token": .string(token)]
        if let filter { frame["filter"] = filter }
        if let from { frame["from"] = from }
        return raw(n, JSONValue.object(frame).serialized)
    }

    mutating func raw(_ n: UInt64, _ text: String) -> [RelayEffect] {
        hub.connected(ConnectionID(n))
        return hub.frame(ConnectionID(n), text: text, now: now, log: store)
    }

    /// Logs `count` message events of `session` (without telling the hub).
    @discardableResult
    mutating func append(_ session: String = "s1", count: Int = 1, ts: Int64? = nil, provider: String? = nil,
                         text: String = "hello") throws -> [StoredEvent] {
        var events: [NewEvent] = []
        for _ in 0..<count {
            let seq = (seqs[session] ?? 0) + 1
            seqs[session] = seq
            events.append(messageEntry(session, seq: seq, ts: ts ?? now, text: text, provider: provider))
        }
        return try store.add(events)
    }

    /// Logs events and tells the hub they are durable, as `RelayHost.flush` does.
    mutating func commit(_ session: String = "s1", count: Int = 1, provider: String? = nil, text: String = "hello") throws -> [RelayEffect] {
        hub.committed(try append(session, count: count, provider: provider, text: text), now: now)
    }

    mutating func drained(_ n: UInt64) -> [RelayEffect] { hub.drained(ConnectionID(n), log: store) }
}

/// The frames sent to connection `n`, parsed.
func streamFrames(_ effects: [RelayEffect], to n: UInt64) -> [JSONValue] { effects.frames(to: ConnectionID(n)) }

/// The offsets of the `event` frames sent to `n`.
func eventOffsets(_ effects: [RelayEffect], to n: UInt64) -> [Int64] {
    streamFrames(effects, to: n).filter { $0["type"] == "event" }.compactMap { $0["offset"]?.int64Value }
}

/// The frame types sent to `n`, in order.
func frameTypes(_ effects: [RelayEffect], to n: UInt64) -> [String] {
    streamFrames(effects, to: n).compactMap { $0["type"]?.stringValue }
}

@Suite struct StreamHubTests {
    let c1 = ConnectionID(1)
    let c2 = ConnectionID(2)

    /// The error frame and the close a refused subscribe gets.
    func refusal(_ code: String, _ message: String, close: UInt16, to c: ConnectionID = ConnectionID(1)) -> [RelayEffect] {
        [.send(c, StreamFrame.error(code: code, message: message)), .close(c, code: close, reason: code)]
    }

    // MARK: refusals

    @Test func aMalformedFrameIsRefusedWith4400() {
        var h = HubHarness()
        #expect(h.raw(1, "hello") == refusal("bad_frame", "frame is not a JSON object", close: 4400))
        #expect(h.raw(2, #"{"type":"subscribe"}"#) == refusal("bad_frame", "'token' must be a non-empty string", close: 4400, to: c2))
        #expect(h.hub.liveCount == 0)
    }

    @Test func aBadTokenIsRefusedWith4401() {
        var h = HubHarness()
        #expect(h.subscribe(1, token: "garbage") == refusal("bad_token", "the token is not valid", close: 4401))
        // Signed with another secret.
        #expect(h.subscribe(2, token: streamToken(secret: Array("other".utf8)))
            == refusal("bad_token", "the token is not valid", close: 4401, to: c2))
        // A copilot token is not an integrator token.
        let copilot = CopilotToken.sign(sessionID: SessionID("s1"), role: "agent", expiresAt: t0 / 1000 + 60, secret: devSecret)
        #expect(h.subscribe(3, token: copilot) == refusal("bad_token", "the token is not valid", close: 4401, to: ConnectionID(3)))
    }

    @Test func anExpiredTokenIsRefusedWith4401() {
        var h = HubHarness()
        #expect(h.subscribe(1, token: streamToken(expiresAt: t0 / 1000)) == refusal("bad_token", "the token has expired", close: 4401))
        #expect(h.subscribe(2, token: streamToken(expiresAt: t0 / 1000 + 1)).closes.isEmpty, "valid for one more second")
    }

    @Test func aTokenWithoutTheStreamScopeIsRefusedWith4403() {
        var h = HubHarness()
        #expect(h.subscribe(1, token: streamToken(scopes: [IntegratorToken.tilesScope]))
            == refusal("forbidden", "the token lacks scope 'stream:read'", close: 4403))
    }

    @Test func aFilterOutsideTheTokensScopeIsRefusedWith4403() {
        var h = HubHarness()
        let token = streamToken(sessions: ["s1"], providers: ["acme"])
        #expect(h.subscribe(1, token: token, filter: ["sessions": ["s1", "s2"]])
            == refusal("forbidden", "the token does not allow sessions 's2'", close: 4403))
        #expect(h.subscribe(2, token: token, filter: ["providers": ["beta"]])
            == refusal("forbidden", "the token does not allow providers 'beta'", close: 4403, to: c2))
        #expect(h.hub.liveCount == 0)
    }

    @Test func aPositionPastTheEndIsRefusedWith4416() throws {
        var h = HubHarness()
        try h.append(count: 3)
        #expect(h.subscribe(1, from: ["offset": 4, "epoch": "e1"])
            == refusal("bad_position", "offset 4 is past the end of the log (3) of epoch e1", close: 4416))
        let noEpoch = h.subscribe(2, from: ["offset": 9])
        #expect(noEpoch.closes.map(\.1) == [4416])
        // A refused subscriber receives nothing afterwards.
        #expect(try h.commit().isEmpty)
        #expect(h.drained(1).isEmpty)
    }

    @Test func aRefusedConnectionTakesNoSecondSubscribe() {
        var h = HubHarness()
        _ = h.subscribe(1, token: "garbage")
        let again = h.hub.frame(c1, text: JSONValue.object(["type": "subscribe", "token": .string(streamToken())]).serialized, now: h.now, log: h.store)
        #expect(again.closes.isEmpty)
        #expect(frameTypes(again, to: 1) == ["error"])
        #expect(h.hub.liveCount == 0)
    }

    // MARK: where the stream starts

    @Test func fromStartReplaysEverythingThenGoesLive() throws {
        var h = HubHarness()
        let stored = try h.append(count: 3)
        let effects = h.subscribe(1, from: "start")
        #expect(effects.withoutLogs == [
            .send(c1, StreamFrame.subscribed(epoch: "e1", position: 0, lastOffset: 3, recovered: true, reason: nil)),
            .send(c1, StreamFrame.event(stored[0])),
            .send(c1, StreamFrame.event(stored[1])),
            .send(c1, StreamFrame.event(stored[2])),
            .send(c1, StreamFrame.live(offset: 3)),
        ])
        #expect(effects.logs.map(\.message) == ["stream subscriber"])
        #expect(effects.logs.first?.metadata["subscriber"] == "acme")
        #expect(h.hub.liveCount == 1)
        #expect(h.hub.subscriberCount == 1)
    }

    @Test func fromAnOffsetOfThisEpochResumesAfterIt() throws {
        var h = HubHarness()
        try h.append(count: 5)
        let effects = h.subscribe(1, from: ["offset": 3, "epoch": "e1"])
        #expect(streamFrames(effects, to: 1).first == json(StreamFrame.subscribed(epoch: "e1", position: 3, lastOffset: 5, recovered: true, reason: nil)))
        #expect(eventOffsets(effects, to: 1) == [4, 5])
        #expect(frameTypes(effects, to: 1).last == "live")
        // The very end: nothing to replay.
        let atEnd = h.subscribe(2, from: ["offset": 5, "epoch": "e1"])
        #expect(frameTypes(atEnd, to: 2) == ["subscribed", "live"])
        // Without an epoch the offset is taken as one of this log.
        #expect(eventOffsets(h.subscribe(3, from: ["offset": 4]), to: 3) == [5])
    }

    @Test func anotherEpochReplaysThisLogFromTheStartAndSaysSo() throws {
        var h = HubHarness()
        try h.append(count: 3)
        // Even an offset beyond this log's end: it belongs to a different history.
        for (n, offset) in [(UInt64(1), 2), (2, 50)] {
            let effects = h.subscribe(n, from: ["offset": .number(Double(offset)), "epoch": "old"])
            #expect(streamFrames(effects, to: n).first
                == json(StreamFrame.subscribed(epoch: "e1", position: 0, lastOffset: 3, recovered: false, reason: "epoch_changed")))
            #expect(eventOffsets(effects, to: n) == [1, 2, 3])
            #expect(frameTypes(effects, to: n).last == "live")
        }
    }

    @Test func aPositionInPrunedHistoryIsNotRecovered() throws {
        var h = HubHarness()
        // Events 1–2 of a finished session (no snapshot), 3 of a live one, 4 of the finished one again (recent).
        try h.append("old", count: 2, ts: t0 - 10_000)
        try h.append("live", ts: t0 - 10_000)
        try h.append("old", ts: t0)
        try h.store.putSession(id: "live", state: ["v": 1])
        #expect(try h.store.prune(olderThan: t0 - 1, maxEvents: nil) == 2)
        #expect(try h.store.prunedThrough() == 2)

        let lost = h.subscribe(1, from: ["offset": 1, "epoch": "e1"])
        #expect(streamFrames(lost, to: 1).first
            == json(StreamFrame.subscribed(epoch: "e1", position: 1, lastOffset: 4, recovered: false, reason: "pruned")))
        #expect(eventOffsets(lost, to: 1) == [3, 4])

        let fromStart = h.subscribe(2, from: "start")
        #expect(streamFrames(fromStart, to: 2).first?["reason"] == "pruned")
        #expect(eventOffsets(fromStart, to: 2) == [3, 4])

        // Having seen offset 2 (the last pruned one), nothing is missing.
        let fine = h.subscribe(3, from: ["offset": 2, "epoch": "e1"])
        #expect(streamFrames(fine, to: 3).first
            == json(StreamFrame.subscribed(epoch: "e1", position: 2, lastOffset: 4, recovered: true, reason: nil)))
        #expect(eventOffsets(fine, to: 3) == [3, 4])
    }

    @Test func fromNowSkipsTheHistory() throws {
        var h = HubHarness()
        try h.append(count: 4)
        var effects = h.subscribe(1, from: "now")
        #expect(effects.withoutLogs == [
            .send(c1, StreamFrame.subscribed(epoch: "e1", position: 4, lastOffset: 4, recovered: true, reason: nil)),
            .send(c1, StreamFrame.live(offset: 4)),
        ])
        effects = try h.commit()
        #expect(eventOffsets(effects, to: 1) == [5])
        // The default is "now" too.
        #expect(frameTypes(h.subscribe(2), to: 2) == ["subscribed", "live"])
        #expect(streamFrames(h.subscribe(3), to: 3).first?["position"] == 5)
    }

    @Test func fromATimestampStartsAtTheFirstEventAtOrAfterIt() throws {
        var h = HubHarness()
        try h.append(ts: t0)
        try h.append(ts: t0 + 1_000)
        try h.append(ts: t0 + 2_000)
        let effects = h.subscribe(1, from: ["ts": .number(Double(t0 + 1_000))])
        #expect(streamFrames(effects, to: 1).first
            == json(StreamFrame.subscribed(epoch: "e1", position: 1, lastOffset: 3, recovered: true, reason: nil)))
        #expect(eventOffsets(effects, to: 1) == [2, 3])
        // After everything: live at the end.
        let later = h.subscribe(2, from: ["ts": .number(Double(t0 + 5_000))])
        #expect(streamFrames(later, to: 2).first?["position"] == 3)
        #expect(frameTypes(later, to: 2) == ["subscribed", "live"])
        // Before everything: the whole log.
        #expect(eventOffsets(h.subscribe(3, from: ["ts": 0]), to: 3) == [1, 2, 3])
    }

    @Test func fromATimestampWhoseEventsWerePrunedIsNotRecovered() throws {
        var h = HubHarness()
        // 1–2: a finished session at t0 (pruned below), 3: a live session at t0, 4: at t0 + 5 s.
        try h.append("old", count: 2, ts: t0)
        try h.append("live", ts: t0)
        try h.append("old", ts: t0 + 5_000)
        try h.store.putSession(id: "live", state: ["v": 1])
        #expect(try h.store.prune(olderThan: t0 + 1, maxEvents: nil) == 2)
        // Events 1–2 had ts ≥ t0 and are gone: the client must not believe it saw everything since t0.
        let effects = h.subscribe(1, from: ["ts": .number(Double(t0))])
        #expect(streamFrames(effects, to: 1).first?["recovered"] == false)
        #expect(streamFrames(effects, to: 1).first?["reason"] == "pruned")
        #expect(eventOffsets(effects, to: 1) == [3, 4])
        // Asking from after every pruned event loses nothing.
        let fine = h.subscribe(2, from: ["ts": .number(Double(t0 + 5_000))])
        #expect(streamFrames(fine, to: 2).first?["recovered"] == true)
        #expect(eventOffsets(fine, to: 2) == [4])
    }

    // MARK: filters and scope

    @Test func theTokensScopeNarrowsAnOmittedFilter() throws {
        var h = HubHarness()
        try h.append("s1", count: 2)
        try h.append("s2", count: 2)
        try h.append("s1")
        let effects = h.subscribe(1, token: streamToken(sessions: ["s1"]), from: "start")
        #expect(eventOffsets(effects, to: 1) == [1, 2, 5])
        #expect(frameTypes(effects, to: 1).last == "live")
        #expect(streamFrames(effects, to: 1).last?["offset"] == 5)
        // Live events are filtered the same way.
        #expect(eventOffsets(try h.commit("s2"), to: 1) == [])
        #expect(eventOffsets(try h.commit("s1"), to: 1) == [7])
    }

    @Test func aFilterSelectsByProviderAndType() throws {
        var h = HubHarness()
        try h.append("bot", count: 2)
        try h.append("a", provider: "acme")
        try h.append("d", provider: "default")
        let hand = try h.store.add([handoverEntry("a", seq: 2, provider: "acme")])
        let effects = h.subscribe(1, filter: ["providers": ["acme"]], from: "start")
        #expect(eventOffsets(effects, to: 1) == [3, 5])
        let handovers = h.subscribe(2, filter: ["types": ["handover"]], from: "start")
        #expect(streamFrames(handovers, to: 2).filter { $0["type"] == "event" } == [json(StreamFrame.event(hand[0]))])
    }

    // MARK: replay, paging and the switch to live

    @Test func eventsCommittedDuringAPausedReplayAreReadFromTheLogOnce() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 2
        limits.replayBudgetBytes = 1  // pause after every page
        var h = HubHarness(limits: limits)
        try h.append(count: 5)

        var received: [Int64] = []
        var effects = h.subscribe(1, from: "start")
        #expect(frameTypes(effects, to: 1) == ["subscribed", "event", "event"])
        received += eventOffsets(effects, to: 1)
        #expect(h.hub.liveCount == 0)

        // 6 and 7 become durable while the replay waits: not sent live (the replay will read them).
        effects = try h.commit(count: 2)
        #expect(effects.isEmpty)

        effects = h.drained(1)
        #expect(frameTypes(effects, to: 1) == ["event", "event"])
        received += eventOffsets(effects, to: 1)
        effects = h.drained(1)
        received += eventOffsets(effects, to: 1)
        #expect(frameTypes(effects, to: 1) == ["event", "event"])
        effects = h.drained(1)
        received += eventOffsets(effects, to: 1)
        #expect(frameTypes(effects, to: 1) == ["event", "live"])
        #expect(streamFrames(effects, to: 1).last == json(StreamFrame.live(offset: 7)))
        #expect(h.hub.liveCount == 1)

        // Now live: new events arrive through `committed`.
        effects = try h.commit()
        received += eventOffsets(effects, to: 1)
        #expect(received == Array(1...8), "every event exactly once, in order")
        // Draining a live subscriber sends nothing by itself.
        #expect(h.drained(1).isEmpty)
    }

    @Test func committedEventsAtOrBeforeTheLivePositionAreNotSentAgain() throws {
        var h = HubHarness()
        let old = try h.append(count: 2)
        _ = h.subscribe(1, from: "start")
        let new = try h.append()
        let effects = h.hub.committed(old + new, now: h.now)
        #expect(effects == [.send(c1, StreamFrame.event(new[0]))])
    }

    @Test func aReplayWithAGenerousBudgetReadsSeveralPagesInOneGo() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 2
        var h = HubHarness(limits: limits)
        try h.append(count: 7)
        let effects = h.subscribe(1, from: "start")
        #expect(eventOffsets(effects, to: 1) == Array(1...7))
        #expect(frameTypes(effects, to: 1).last == "live")
    }

    @Test func aReplayEndingExactlyOnAPageBoundaryStillGoesLive() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 2
        var h = HubHarness(limits: limits)
        try h.append(count: 4)
        let effects = h.subscribe(1, from: "start")
        #expect(eventOffsets(effects, to: 1) == [1, 2, 3, 4])
        #expect(streamFrames(effects, to: 1).last == json(StreamFrame.live(offset: 4)))
    }

    @Test func aFilteredReplayThatMatchesNothingSendsItsPosition() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 2  // at most 16 pages (32 events) are scanned per turn
        var h = HubHarness(limits: limits)
        try h.append("other", count: 40)
        var effects = h.subscribe(1, filter: ["sessions": ["mine"]], from: "start")
        #expect(frameTypes(effects, to: 1) == ["subscribed", "position"])
        #expect(streamFrames(effects, to: 1).last == json(StreamFrame.position(offset: 32)))
        #expect(h.hub.liveCount == 0)
        effects = h.drained(1)
        #expect(effects == [.send(c1, StreamFrame.live(offset: 40))])
        #expect(h.hub.liveCount == 1)
    }

    @Test func aFilteredReplayCatchesUpAcrossManyNonMatchingPages() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 2
        var h = HubHarness(limits: limits)
        try h.append("other", count: 35)
        let mine = try h.append("mine")
        var effects = h.subscribe(1, filter: ["sessions": ["mine"]], from: "start")
        #expect(frameTypes(effects, to: 1) == ["subscribed", "position"])
        effects = h.drained(1)
        #expect(effects == [.send(c1, StreamFrame.event(mine[0])), .send(c1, StreamFrame.live(offset: 36))])
    }

    // MARK: live delivery and backpressure

    @Test func liveEventsGoToEveryMatchingSubscriberInConnectionOrder() throws {
        var h = HubHarness()
        _ = h.subscribe(2)
        _ = h.subscribe(1, filter: ["sessions": ["s1"]])
        _ = h.subscribe(3, filter: ["sessions": ["s2"]])
        #expect(h.hub.liveCount == 3)
        let events = try h.append("s1")
        let effects = h.hub.committed(events, now: h.now)
        #expect(effects == [.send(c1, StreamFrame.event(events[0])), .send(c2, StreamFrame.event(events[0]))])
        #expect(h.hub.committed([], now: h.now).isEmpty)
    }

    @Test func aLiveSubscriberThatNeverDrainsIsDisconnectedAsTooSlow() throws {
        var limits = StreamHub.Limits()
        limits.maxQueuedBytes = 1_000
        var h = HubHarness(limits: limits)
        _ = h.subscribe(1)
        _ = h.subscribe(2)
        var sizes: [Int] = []  // of the event frames it was sent
        var closed: [RelayEffect] = []
        for _ in 0..<50 {
            let effects = try h.commit()
            #expect(eventOffsets(effects, to: 2).count == 1, "the subscriber that drains keeps getting everything")
            _ = h.drained(2)
            sizes += effects.texts(to: c1).filter { json($0)["type"] == "event" }.map(\.utf8.count)
            if !effects.closes.isEmpty {
                closed = effects
                break
            }
        }
        // It got what fits (and the event that crossed the line), then the error and the close.
        #expect(sizes.count > 3)
        #expect(sizes.reduce(0, +) > 1_000)
        #expect(sizes.dropLast().reduce(0, +) <= 1_000)
        #expect(closed.closes.map(\.0) == [c1])
        #expect(closed.closes.map(\.1) == [4429])
        #expect(frameTypes(closed, to: 1) == ["event", "error"])
        #expect(streamFrames(closed, to: 1).last == json(StreamFrame.error(code: "too_slow", message: "too far behind; resume from your last offset")))
        #expect(closed.logs.map(\.level) == [.warning])
        #expect(h.hub.liveCount == 1)

        // Nothing more for it; the other one goes on.
        let after = try h.commit()
        #expect(streamFrames(after, to: 1).isEmpty)
        #expect(eventOffsets(after, to: 2).count == 1)
        #expect(h.drained(1).isEmpty)
    }

    @Test func aSubscriberThatDrainsIsNeverTooSlow() throws {
        var limits = StreamHub.Limits()
        limits.maxQueuedBytes = 300
        var h = HubHarness(limits: limits)
        _ = h.subscribe(1)
        for _ in 0..<20 {
            let effects = try h.commit()
            #expect(effects.closes.isEmpty)
            #expect(eventOffsets(effects, to: 1).count == 1)
            _ = h.drained(1)
        }
    }

    @Test func theTokenExpiringWhileLiveClosesWith4401() throws {
        var h = HubHarness()
        _ = h.subscribe(1, token: streamToken(expiresAt: t0 / 1000 + 60))
        h.now = t0 + 59_999
        #expect(eventOffsets(try h.commit(), to: 1) == [1])
        h.now = t0 + 60_000
        let effects = try h.commit()
        #expect(effects == [
            .send(c1, StreamFrame.error(code: "bad_token", message: "the token has expired; subscribe again with a new one")),
            .close(c1, code: 4401, reason: "token expired"),
        ])
        #expect(h.hub.liveCount == 0)
        #expect(try h.commit().isEmpty)
    }

    // MARK: connection lifecycle

    @Test func aSecondFrameAfterSubscribingGetsAnError() throws {
        var h = HubHarness()
        _ = h.subscribe(1)
        let effects = h.hub.frame(c1, text: #"{"type":"subscribe","token":"x"}"#, now: h.now, log: h.store)
        #expect(effects == [.send(c1, StreamFrame.error(code: "bad_frame", message: "already subscribed; this connection takes no further frames"))])
        // Still subscribed.
        #expect(h.hub.liveCount == 1)
        #expect(eventOffsets(try h.commit(), to: 1) == [1])
    }

    @Test func framesFromUnknownConnectionsAreIgnored() {
        var h = HubHarness()
        #expect(h.hub.frame(ConnectionID(9), text: #"{"type":"subscribe","token":"x"}"#, now: h.now, log: h.store).isEmpty)
        #expect(h.hub.drained(ConnectionID(9), log: h.store).isEmpty)
        #expect(h.hub.subscriberCount == 0)
    }

    @Test func disconnectedSubscribersGetNothing() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 1
        limits.replayBudgetBytes = 1
        var h = HubHarness(limits: limits)
        try h.append(count: 3)
        _ = h.subscribe(1)  // live
        _ = h.subscribe(2, from: "start")  // replaying, paused
        h.hub.connected(ConnectionID(3))  // never subscribed
        #expect(h.hub.subscriberCount == 3)
        #expect(h.hub.liveCount == 1)

        for n in [1, 2, 3] as [UInt64] { h.hub.disconnected(ConnectionID(n)) }
        #expect(h.hub.subscriberCount == 0)
        #expect(h.hub.liveCount == 0)
        #expect(try h.commit().isEmpty)
        #expect(h.drained(2).isEmpty)
        #expect(h.hub.frame(ConnectionID(3), text: #"{"type":"subscribe","token":"x"}"#, now: h.now, log: h.store).isEmpty)
    }

    // MARK: store failures

    @Test func anUnreadableLogClosesWith1011() throws {
        var hub = StreamHub(secret: devSecret)
        let store = FlakyStore()
        try store.add([messageEntry("s1", seq: 1)])
        store.failing = true
        hub.connected(c1)
        let frame = JSONValue.object(["type": "subscribe", "token": .string(streamToken()), "from": "start"]).serialized
        #expect(hub.frame(c1, text: frame, now: t0, log: store)
            == refusal("store_unavailable", "the event log cannot be read; retry later", close: 1011))
    }

    @Test func aLogThatFailsDuringReplayClosesWith1011() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 1
        limits.replayBudgetBytes = 1
        var hub = StreamHub(secret: devSecret, limits: limits)
        let store = FlakyStore()
        try store.add([messageEntry("s1", seq: 1), messageEntry("s1", seq: 2)])
        hub.connected(c1)
        let frame = JSONValue.object(["type": "subscribe", "token": .string(streamToken()), "from": "start"]).serialized
        #expect(frameTypes(hub.frame(c1, text: frame, now: t0, log: store), to: 1) == ["subscribed", "event"])
        store.failing = true
        #expect(hub.drained(c1, log: store) == [
            .send(c1, StreamFrame.error(code: "store_unavailable", message: "the event log cannot be read; resume later")),
            .close(c1, code: 1011, reason: "store_unavailable"),
        ])
        store.failing = false
        #expect(hub.drained(c1, log: store).isEmpty)
        #expect(hub.liveCount == 0)
    }
}
