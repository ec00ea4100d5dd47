import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// `StreamHub.historyReset`: the shared log started a new epoch (Redis lost its data).
@Suite struct StreamHistoryResetTests {
    let reset = StreamFrame.error(code: "epoch_changed", message: "the event log was reset (new epoch); resubscribe from your position")

    func closedForReset(_ n: UInt64) -> [RelayEffect] {
        [.send(ConnectionID(n), reset), .close(ConnectionID(n), code: 4410, reason: "epoch_changed")]
    }

    @Test func everyOpenSubscriberIsToldAndClosedWith4410() throws {
        var h = HubHarness()
        try h.append(count: 2)
        _ = h.subscribe(3)                    // live
        _ = h.subscribe(1, from: "start")     // live, after a replay
        h.hub.connected(ConnectionID(2))      // connected, no subscribe yet
        #expect(h.hub.liveCount == 2)
        #expect(h.hub.subscriberCount == 3)

        let effects = h.hub.historyReset()
        #expect(effects == closedForReset(1) + closedForReset(2) + closedForReset(3))
        #expect(StreamCloseCode.historyReset == 4410)
        #expect(h.hub.liveCount == 0)
        // Still known until the shell reports the disconnects.
        #expect(h.hub.subscriberCount == 3)
    }

    @Test func alreadyClosedSubscribersAreLeftAlone() throws {
        var h = HubHarness()
        _ = h.subscribe(1, token: "garbage")  // refused: closed already
        _ = h.subscribe(2)
        let effects = h.hub.historyReset()
        #expect(effects == closedForReset(2))
        // A second reset closes nobody twice.
        #expect(h.hub.historyReset().isEmpty)
    }

    @Test func laterCommitsAndDrainsDeliverNothingToThem() throws {
        var h = HubHarness()
        _ = h.subscribe(1)
        _ = h.subscribe(2, filter: ["sessions": ["s1"]])
        _ = h.hub.historyReset()
        #expect(try h.commit(count: 3).isEmpty)
        #expect(h.drained(1).isEmpty)
        #expect(h.drained(2).isEmpty)
        // Frames on a closed connection are not a new subscription.
        let again = h.hub.frame(ConnectionID(1), text: JSONValue.object(["type": "subscribe", "token": .string(streamToken())]).serialized,
                                now: h.now, log: h.store)
        #expect(frameTypes(again, to: 1) == ["error"])
        #expect(again.closes.isEmpty)
        #expect(h.hub.liveCount == 0)
    }

    @Test func aPausedReplayIsClosedAndNotResumedByADrain() throws {
        var limits = StreamHub.Limits()
        limits.pageSize = 1
        limits.replayBudgetBytes = 1
        var h = HubHarness(limits: limits)
        try h.append(count: 5)
        let first = h.subscribe(1, from: "start")
        #expect(eventOffsets(first, to: 1) == [1], "paused after one event")
        #expect(h.hub.liveCount == 0)
        #expect(h.hub.historyReset() == closedForReset(1))
        #expect(h.drained(1).isEmpty)
    }

    @Test func newSubscribersAfterTheResetWorkAsUsual() throws {
        var h = HubHarness()
        _ = h.subscribe(1)
        _ = h.hub.historyReset()
        h.hub.disconnected(ConnectionID(1))
        #expect(h.hub.subscriberCount == 0)
        let effects = h.subscribe(2)
        #expect(frameTypes(effects, to: 2) == ["subscribed", "live"])
        #expect(eventOffsets(try h.commit(count: 2), to: 2) == [1, 2])
    }

    @Test func anEmptyHubHasNothingToReset() {
        var hub = StreamHub(secret: devSecret)
        #expect(hub.historyReset().isEmpty)
    }
}
