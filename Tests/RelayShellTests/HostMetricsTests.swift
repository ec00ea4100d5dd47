import HTTPModel
import Metrics
import MetricsTestKit
import RelayCore
import Testing
@testable import RelayShell

@Suite struct HostMetricsTests {
    @Test func scrapeTimeCountersMoveByTheDifferenceSinceTheLastScrape() throws {
        let factory = TestMetrics()
        let metrics = HostMetrics(factory: factory)
        var tally = MessageTally()
        tally.count(.userToBot)
        tally.count(.userToBot)
        tally.count(.agentToUser)
        metrics.refresh(tally: tally, census: SessionCensus([]), queuedWebSocketBytes: 10, streamSubscribers: 2)
        metrics.refresh(tally: tally, census: SessionCensus([]), queuedWebSocketBytes: 0, streamSubscribers: 0)  // nothing new
        tally.count(.userToBot)
        metrics.refresh(tally: tally, census: SessionCensus([]), queuedWebSocketBytes: 0, streamSubscribers: 0)
        #expect(factory.counterTotal(label: MetricNames.messages, dimensions: [("direction", "user_to_bot")]) == 3)
        #expect(factory.counterTotal(label: MetricNames.messages, dimensions: [("direction", "agent_to_user")]) == 1)
        #expect(try factory.expectGauge(MetricNames.webSocketQueuedBytes).lastValue == 0)
        #expect(try factory.expectGauge(MetricNames.webSocketQueuedBytes).values == [10, 0, 0])
    }

    @Test func sessionGaugesCoverEveryPhase() throws {
        let factory = TestMetrics()
        let metrics = HostMetrics(factory: factory)
        var ended = Session(id: SessionID("a"), resumeToken: "t", user: UserInfo())
        ended.ended = true
        metrics.refresh(tally: MessageTally(), census: SessionCensus([ended, Session(id: SessionID("b"), resumeToken: "t", user: UserInfo())]),
                        queuedWebSocketBytes: 0, streamSubscribers: 0)
        for phase in SessionPhase.allCases {
            let expected: Double = phase == .ended || phase == .bot ? 1 : 0
            #expect(try factory.expectGauge(MetricNames.sessions, [("state", phase.label)]).lastValue == expected)
        }
    }

    @Test func gatewayCallsAreTimedAndFailuresCountedByStatus() throws {
        let factory = TestMetrics()
        let metrics = HostMetrics(factory: factory)
        metrics.gatewayCallCompleted(operation: "send_message", nanoseconds: 1_500_000, result: .response(status: 202, body: []))
        metrics.gatewayCallCompleted(operation: "send_message", nanoseconds: 2_000_000, result: .response(status: 503, body: []))
        metrics.gatewayCallCompleted(operation: "send_message", nanoseconds: 9_000_000, result: .transportError("refused"))
        #expect(try factory.expectTimer(MetricNames.gatewayCallDuration, [("operation", "send_message")]).values == [1_500_000, 2_000_000, 9_000_000])
        #expect(factory.counterTotal(label: MetricNames.gatewayCallErrors, dimensions: [("operation", "send_message"), ("status", "503")]) == 1)
        #expect(factory.counterTotal(label: MetricNames.gatewayCallErrors, dimensions: [("operation", "send_message"), ("status", "transport")]) == 1)
        #expect(factory.counterTotal(label: MetricNames.gatewayCallErrors) == 2)
    }

    @Test func commitsAndWebhooks() throws {
        let factory = TestMetrics()
        let metrics = HostMetrics(factory: factory)
        metrics.committed(events: 3, nanoseconds: 120_000)
        metrics.committed(events: 0, nanoseconds: 80_000)
        metrics.commitFailed()
        metrics.webhookAnswered(type: "queued", result: "accepted")
        metrics.webhookAnswered(type: "queued", result: "accepted")
        #expect(factory.counterTotal(label: MetricNames.logEventsAppended) == 3)
        #expect(factory.counterTotal(label: MetricNames.logCommitFailures) == 1)
        #expect(try factory.expectTimer(MetricNames.logCommitDuration).values == [120_000, 80_000])
        #expect(factory.counterTotal(label: MetricNames.webhookEvents, dimensions: [("type", "queued"), ("result", "accepted")]) == 2)
    }
}

@Suite struct ExportedCountsTests {
    @Test func countsKeptElsewhereBecomeCountersThatMoveByDifferences() {
        let factory = TestMetrics()
        nonisolated(unsafe) var source = ["rate_limited": 2, "oversized_body": 0]
        let counts = ExportedCounts(name: "relay_limit_refusals_total", label: "limit", factory: factory) { source }
        counts.refresh()
        source["rate_limited"] = 5
        source["oversized_body"] = 1
        counts.refresh()
        counts.refresh()
        #expect(factory.counterTotal(label: "relay_limit_refusals_total", dimensions: [("limit", "rate_limited")]) == 5)
        #expect(factory.counterTotal(label: "relay_limit_refusals_total", dimensions: [("limit", "oversized_body")]) == 1)
    }
}

@Suite struct ConnectionMetricsTests {
    @Test func openConnectionsByProtocolAndClosesByCode() throws {
        let factory = TestMetrics()
        let metrics = ConnectionMetrics(factory: factory)
        metrics.opened("handover.chat.v1")
        metrics.opened("handover.chat.v1")
        metrics.opened("handover.stream.v1")
        metrics.closed("handover.chat.v1", code: 1008)
        metrics.closed("handover.chat.v1", code: nil)
        #expect(try factory.expectMeter(MetricNames.webSocketConnections, [("protocol", "chat")]).lastValue == 0)
        #expect(try factory.expectMeter(MetricNames.webSocketConnections, [("protocol", "stream")]).lastValue == 1)
        #expect(factory.counterTotal(label: MetricNames.webSocketOpened, dimensions: [("protocol", "chat")]) == 2)
        #expect(factory.counterTotal(label: MetricNames.webSocketClosed, dimensions: [("protocol", "chat"), ("code", "1008")]) == 1)
        #expect(factory.counterTotal(label: MetricNames.webSocketClosed, dimensions: [("protocol", "chat"), ("code", "other")]) == 1)
    }
}
