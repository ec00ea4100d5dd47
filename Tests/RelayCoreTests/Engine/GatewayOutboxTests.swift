import HTTPModel
import Testing
@testable import RelayCore

@Suite struct GatewayOutboxTests {
    let create = GatewayOperation.createConversation(OutboundRequest(method: "POST", url: HTTPURL("http://h/c")!))

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
        box.enqueue(.removeUser)
        #expect(box.queue == [create, .sendMessage(text: "a", seq: 2), .sendMessage(text: "b", seq: 3), .removeUser])
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
        box.enqueue(.removeUser)
        box.started(CallID(1))
        box.dropPending(keepingRemoveUser: true)
        #expect(box.queue == [.sendMessage(text: "a", seq: 1), .removeUser])
        #expect(box.inFlight == CallID(1))
        #expect(box.attempts == 1)
    }

    @Test func dropPendingWithNothingInFlight() {
        var box = GatewayOutbox()
        box.enqueue(create)
        box.enqueue(.sendMessage(text: "a", seq: 1))
        box.enqueue(.removeUser)
        box.started(CallID(1))
        box.waitToRetry(TimerID(3))
        box.dropPending(keepingRemoveUser: true)
        #expect(box.queue == [.removeUser])
        #expect(box.retryTimer == nil)
        #expect(box.attempts == 0)
        #expect(box.isIdle)
    }

    @Test func dropPendingWithoutKeepingRemoveUser() {
        var box = GatewayOutbox()
        box.enqueue(.typing)
        box.enqueue(.removeUser)
        box.started(CallID(1))
        box.dropPending(keepingRemoveUser: false)
        #expect(box.queue == [.typing])
        var idle = GatewayOutbox()
        idle.enqueue(.removeUser)
        idle.dropPending(keepingRemoveUser: false)
        #expect(idle.queue.isEmpty)
    }

    @Test func operationNamesAndNeeds() {
        #expect(create.name == "create conversation")
        #expect(GatewayOperation.sendMessage(text: "", seq: 1).name == "send message")
        #expect(GatewayOperation.typing.name == "typing")
        #expect(GatewayOperation.removeUser.name == "remove user")
        #expect(!create.needsConversation)
        #expect(GatewayOperation.typing.needsConversation)
        #expect(GatewayOperation.removeUser.needsConversation)
    }
}
