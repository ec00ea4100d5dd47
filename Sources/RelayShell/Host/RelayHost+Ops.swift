import HTTPModel
import Logging
import RelayCore

extension RelayHost {
    /// `GET /readyz` (see ``Readiness``).
    var readiness: Readiness { Readiness(restored: restored, commitFailure: lastCommitFailure) }

    /// Starts an outbound call the engine asked for, timing it for
    /// `relay_8x8_call_duration_seconds` and logging it (at debug) with the
    /// session and 8x8 conversation it belongs to.
    func startCall(_ id: CallID, _ request: OutboundRequest) {
        let context = engine.callContext(id)
        if logger.logLevel <= .debug {
            var metadata: Logger.Metadata = ["call": "\(id)", "request": "\(request.logDescription)"]
            for (key, value) in context?.logMetadata ?? [:] { metadata[key] = .string(value) }
            logger.debug("outbound call", metadata: metadata)
        }
        let started = MonotonicClock.nanoseconds()
        loop.call(request) { [unowned self] result in
            if let context, context.isGateway {
                self.metrics.gatewayCallCompleted(operation: context.operation, nanoseconds: MonotonicClock.nanoseconds() - started,
                                                  result: result)
            }
            self.execute(self.engine.callCompleted(id, result: result, now: LoopClock.wallMs()))
        }
    }

    /// Wraps a webhook's `respond` so the answer actually sent (the engine's,
    /// or a 503 when the commit failed) is counted in `relay_webhook_events_total`.
    func countingAnswers(to request: HTTPRequest, _ respond: @escaping (HTTPResponse) -> Void) -> (HTTPResponse) -> Void {
        let type = WebhookMetricLabels.type(ofBody: request.body)
        return { [unowned self] response in
            self.metrics.webhookAnswered(type: type, result: WebhookMetricLabels.result(of: response))
            respond(response)
        }
    }

    /// Brings the scrape-time metrics up to date (called by ``MetricsEndpoint``).
    func refreshMetrics() {
        let openCircuits = Dictionary(uniqueKeysWithValues: engine.config.providers.keys.map { name in
            (name, engine.breakers[name].map { $0.state != .closed } ?? false)
        })
        metrics.refresh(tally: engine.messageTally, census: engine.census, queuedWebSocketBytes: loop.queuedWebSocketBytes,
                        streamSubscribers: hub.subscriberCount, openCircuits: openCircuits)
    }
}
