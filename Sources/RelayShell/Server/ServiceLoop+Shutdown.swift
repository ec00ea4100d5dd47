import CLWS
import RelayCore

extension ServiceLoop {
    /// After ``stop()``: stops accepting connections, tells every WebSocket
    /// client to reconnect (1012, "service restart": clients reconnect with
    /// backoff and resume), and keeps serving until those clients are gone and
    /// the outbound calls in flight (8x8, bot, integrator webhooks) have their
    /// answers — each answer is committed like any other — or `graceMs` passes.
    ///
    /// A call abandoned at the deadline is not lost: it is still pending in the
    /// durable log and is sent again after the restart.
    func drain(graceMs: Int) {
        draining = true
        if !webSockets.isEmpty {
            logger.notice("closing WebSocket connections", metadata: ["count": "\(webSockets.count)"])
        }
        for ws in webSockets.values { close(ws.id, code: CloseCode.serviceRestart, reason: "relay restarting; reconnect and resume") }
        let deadline = LoopClock.monotonicMs() + UInt64(max(0, graceMs))
        schedule(afterMs: graceMs) {}  // bounds the wait below even if no socket event arrives
        while !(webSockets.isEmpty && callsSettled), LoopClock.monotonicMs() < deadline {
            if !serviceOnce() { break }
            endTurn()
        }
        endTurn()  // the last answers' changes are committed before the process ends
        if callsSettled {
            logger.notice("drained", metadata: ["clientsLeft": "\(webSockets.count)"])
        } else {
            logger.warning("shutdown deadline passed with outbound calls in flight; pending ones are sent again after the restart",
                           metadata: ["calls": "\(calls.count)", "graceMs": "\(graceMs)"])
        }
    }

    /// No call in flight, and every answer handed to its completion.
    private var callsSettled: Bool { calls.isEmpty && undeliveredResults == 0 }

    /// While draining, a new TCP connection is dropped at once (nothing is
    /// accepted that the shutdown would have to wait for).
    func admitsNetworkConnections() -> Bool { !draining }
}
