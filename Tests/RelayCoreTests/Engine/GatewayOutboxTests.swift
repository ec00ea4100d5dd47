import HTTPModel
import Testing
@testable import RelayCore

@Suite struct GatewayOutboxTests {
    let create = GatewayOperation.createConversation(body: ["channelId": "c"], provider: "default", generation: 1)

    @Test func startsEmptyAndIdle() {
        let box = GatewayOutbox()
        #expect(box.queue.isEmpty)
        #expect(box.isIdle)
        #expect(box.head == nil)
        #expect(box.attempts == 0)
    }

    @Test func enqueueKeepsOrder() {
        var box = GatewayOutbox()
        box.enqueue(create)
        box.enqueue(.sendMessage(text: "a", seq: 2))
        box.enqueue(.sendMessage(text: "b", seq: 3))
        box.enqueue(.removeUser(conversationID: "c1", provider: "default"))
        #expect(box.queue == [create, .sendMessage(text: "a", seq: 2), .sendMessage(text: "b", seq: 3), .removeUser(conversationID: "c1", provider: "default")])
        #expect(box.head == create)
    }

    @Test func pendingTypingIsCoalesced() {
        var box = GatewayOutbox()
        box.enqueue(.typing)
        box.enqueue(.typing)
        #expect(box.queue == [.typing])
        box.enqueue(.sendMessage(text: "a", seq: 1))
        box.enqueue(.typing)
        #expect(box.queue == [.typing, .sendMessage(text: "a", seq: 1)])
    }

    @Test func typingInFlightDoesNotCountAsPending() {
        var box = GatewayOutbox()
        box.enqueue(.typing)
        box.started(CallID(1))
        box.enqueue(.typing)
        #expect(box.queue == [.typing, .typing])
        box.enqueue(.typing)
        #expect(box.queue == [.typing, .typing])
    }

    @Test func typingWaitingToRetryCountsAsPending() {
        var box = GatewayOutbox()
        box.enqueue(.typing)
        box.started(CallID(1))
        box.waitToRetry(TimerID(1))
        box.enqueue(.typing)
        #expect(box.queue == [.typing])
    }

    @Test func lifecycleOfTheHead() {
        var box = GatewayOutbox()
        box.enqueue(.sendMessage(text: "a", seq: 1))
        box.enqueue(.sendMessage(text: "b", seq: 2))

        box.started(CallID(1))
        #expect(box.inFlight == CallID(1))
        #expect(box.attempts == 1)
        #expect(!box.isIdle)

        box.waitToRetry(TimerID(7))
        #expect(box.inFlight == nil)
        #expect(box.retryTimer == TimerID(7))
        #expect(!box.isIdle)
        #expect(box.attempts == 1)

        box.retryDue()
        #expect(box.retryTimer == nil)
        #expect(box.isIdle)

        box.started(CallID(2))
        #expect(box.attempts == 2)
        #expect(box.retryTimer == nil)

        box.finishHead()
        #expect(box.queue == [.sendMessage(text: "b", seq: 2)])
        #expect(box.inFlight == nil)
        #expect(box.attempts == 0)
        #expect(box.isIdle)

        box.finishHead()
        box.finishHead()  // harmless on an empty queue
        #expect(box.queue.isEmpty)
    }

    @Test func startedClearsARetryTimer() {
        var box = GatewayOutbox()
        box.enqueue(.typing)
        box.started(CallID(1))
        box.waitToRetry(TimerID(1))
        box.started(CallID(2))
        #expect(box.retryTimer == nil)
        #expect(box.inFlight == CallID(2))
    }

    @Test func dropPendingKeepsTheCallInFlightAndRemoveUser() {
        var box = GatewayOutbox()
        box.enqueue(.sendMessage(text: "a", seq: 1))
        box.enqueue(.typing)
        box.enqueue(.sendMessage(text: "b", seq: 2))
        box.enqueue(.removeUser(conversationID: "c1", provider: "default"))
        box.started(CallID(1))
        box.dropPending(keepingRemoveUser: true)
        #expect(box.queue == [.sendMessage(text: "a", seq: 1), .removeUser(conversationID: "c1", provider: "default")])
        #expect(box.inFlight == CallID(1))
        #expect(box.attempts == 1)
    }

    @Test func dropPendingWithNothingInFlight() {
        var box = GatewayOutbox()
        box.enqueue(create)
        box.enqueue(.sendMessage(text: "a", seq: 1))
        box.enqueue(.removeUser(conversationID: "c1", provider: "default"))
        box.started(CallID(1))
        box.waitToRetry(TimerID(3))
        box.dropPending(keepingRemoveUser: true)
        #expect(box.queue == [.removeUser(conversationID: "c1", provider: "default")])
        #expect(box.retryTimer == nil)
        #expect(box.attempts == 0)
        #expect(box.isIdle)
    }

    @Test func dropPendingWithoutKeepingRemoveUser() {
        var box = GatewayOutbox()
        box.enqueue(.typing)
        box.enqueue(.removeUser(conversationID: "c1", provider: "default"))
        box.started(CallID(1))
        box.dropPending(keepingRemoveUser: false)
        #expect(box.queue == [.typing])
        var idle = GatewayOutbox()
        idle.enqueue(.removeUser(conversationID: "c1", provider: "default"))
        idle.dropPending(keepingRemoveUser: false)
        #expect(idle.queue.isEmpty)
    }

    @Test func operationNamesAndKinds() {
        #expect(create.name == "create conversation")
        #expect(GatewayOperation.sendMessage(text: "", seq: 1).name == "send message")
        #expect(GatewayOperation.typing.name == "typing")
        #expect(GatewayOperation.removeUser(conversationID: "c1", provider: "default").name == "remove user")
        #expect(!create.isRemoveUser)
        #expect(!GatewayOperation.typing.isRemoveUser)
        #expect(GatewayOperation.removeUser(conversationID: "c1", provider: "default").isRemoveUser)
    }

    @Test func enqueueNextGoesBeforeWaitingWorkButAfterTheCallInFlight() {
        let leave = GatewayOperation.removeUser(conversationID: "OLD", provider: "default")
        var idle = GatewayOutbox()
        idle.enqueue(create)
        idle.enqueueNext(leave)
        #expect(idle.queue == [leave, create])

        var busy = GatewayOutbox()
        busy.enqueue(.typing)
        busy.enqueue(create)
        busy.started(CallID(1))
        busy.enqueueNext(leave)
        #expect(busy.queue == [.typing, leave, create])
    }

    // MARK: what a snapshot must save

    @Test func aQueuedMessageChangesNothingSavedItsCompletionSettlesIt() {
        var outbox = GatewayOutbox()
        outbox.enqueue(.sendMessage(text: "a", seq: 7))
        outbox.enqueue(.typing)
        #expect(outbox.queueVersion == 0, "the log has the message; typing is never saved")
        outbox.started(CallID(1))
        outbox.finishHead()
        #expect(outbox.messagesSettledThrough == 7)
        #expect(outbox.queueVersion == 1)
        outbox.enqueue(.removeUser(conversationID: "X", provider: "p"))
        #expect(outbox.queueVersion == 2)
    }

    @Test func settlingOnlyMovesForward() {
        var outbox = GatewayOutbox()
        outbox.settleMessages(through: 5)
        outbox.settleMessages(through: 3)
        #expect(outbox.messagesSettledThrough == 5)
        #expect(outbox.queueVersion == 1)
        // A message of an earlier handover finishing late leaves the mark where it is.
        outbox.enqueue(.sendMessage(text: "old", seq: 2))
        outbox.started(CallID(1))
        outbox.finishHead()
        #expect(outbox.messagesSettledThrough == 5)
        #expect(outbox.queueVersion == 2, "it was saved explicitly: its removal is a change")
    }
}
