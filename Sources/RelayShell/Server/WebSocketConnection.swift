import CLWS
import RelayCore

/// One open WebSocket: its outgoing frame queue (written one frame per
/// WRITEABLE callback, as lws requires) and its partial incoming message.
final class WebSocketConnection {
    let id: ConnectionID
    let wsi: OpaquePointer
    let endpoint: WebSocketEndpoint
    /// The client's address, for the per-address connection cap.
    let address: String
    /// This connection's message budget; nil when rates are not limited.
    var rateLimiter: MessageRateLimiter?
    /// Frames waiting to be written, each already preceded by the LWS_PRE bytes
    /// lws needs in front of the payload, so a frame is copied once (from the
    /// String) instead of twice.
    private(set) var outgoing: [[UInt8]] = []
    private var outgoingHead = 0
    private(set) var queuedBytes = 0
    var incoming: [UInt8] = []
    /// Close after the queue drains, with this code and reason.
    var pendingClose: (code: UInt16, reason: String)?
    /// Drop frames that arrive after we decided to close.
    var closing = false
    /// When the peer was last heard from (any frame, or a pong), for the liveness sweep.
    var lastHeardMs = LoopClock.monotonicMs()
    /// A ping is to be written at the next WRITEABLE.
    var pingPending = false

    init(id: ConnectionID, wsi: OpaquePointer, endpoint: WebSocketEndpoint, address: String) {
        self.id = id
        self.wsi = wsi
        self.endpoint = endpoint
        self.address = address
    }

    func enqueue(_ text: String) {
        let pre = Self.pre
        var frame = [UInt8](repeating: 0, count: pre)
        frame.reserveCapacity(pre + text.utf8.count)
        frame += text.utf8
        queuedBytes += frame.count - pre
        outgoing.append(frame)
    }

    /// LWS_PRE: a macro Swift cannot import, read once through the shim.
    static let pre = Int(clws_pre())

    var hasOutgoing: Bool { outgoingHead < outgoing.count }

    func dequeue() -> [UInt8]? {
        guard hasOutgoing else { return nil }
        let frame = outgoing[outgoingHead]
        outgoing[outgoingHead] = []  // release the buffer now, not at the next compaction
        outgoingHead += 1
        queuedBytes -= frame.count - Self.pre
        // Compact now and then instead of removeFirst() per frame (O(n) each).
        if outgoingHead > 64, outgoingHead * 2 > outgoing.count {
            outgoing.removeFirst(outgoingHead)
            outgoingHead = 0
        }
        return frame
    }
}

extension ServiceLoop {
    /// Queues one text frame. Unknown (already closed) connections are ignored:
    /// the core may still address a connection whose close is in flight.
    public func send(_ connection: ConnectionID, _ text: String) {
        guard let ws = webSockets[connection.rawValue], !ws.closing else { return }
        ws.enqueue(text)
        if ws.queuedBytes > options.limits.maxQueuedBytesPerConnection {
            limitCounters.slowReaderCloses += 1
            logger.warning("closing slow WebSocket reader", metadata: ["connection": "\(connection)", "queuedBytes": "\(ws.queuedBytes)"])
            closeNow(ws, code: CloseCode.policyViolation, reason: "too slow: outgoing queue full")
            return
        }
        lws_callback_on_writable(ws.wsi)
    }

    /// Closes after every queued frame has been written.
    public func close(_ connection: ConnectionID, code: UInt16, reason: String) {
        guard let ws = webSockets[connection.rawValue], ws.pendingClose == nil else { return }
        ws.pendingClose = (code, reason)
        lws_callback_on_writable(ws.wsi)
    }

    /// Closes without draining (protocol violations, slow readers).
    func closeNow(_ ws: WebSocketConnection, code: UInt16, reason: String) {
        ws.closing = true
        ws.pendingClose = (code, reason)
        lws_callback_on_writable(ws.wsi)
    }

    /// Writes the next frame. Returns -1 when lws should close the connection.
    func writeNext(_ ws: WebSocketConnection) -> Int32 {
        if ws.pingPending, !ws.closing {
            ws.pingPending = false
            // lws 4.1 reports a pong to the protocol callback only when it carries
            // payload, so the ping carries one byte for the pong to echo.
            var frame = [UInt8](repeating: 0, count: WebSocketConnection.pre + 1)
            frame[WebSocketConnection.pre] = 0x31
            let written = frame.withUnsafeMutableBufferPointer { b in lws_write(ws.wsi, b.baseAddress! + WebSocketConnection.pre, 1, LWS_WRITE_PING) }
            if written < 0 { return -1 }
            if ws.hasOutgoing || ws.pendingClose != nil { lws_callback_on_writable(ws.wsi) }
            return 0
        }
        if !ws.closing, var frame = ws.dequeue() {
            let pre = WebSocketConnection.pre
            let length = frame.count - pre
            // lws writes the WebSocket header into the LWS_PRE bytes before the payload.
            let written = frame.withUnsafeMutableBufferPointer { b in
                lws_write(ws.wsi, b.baseAddress! + pre, length, LWS_WRITE_TEXT)
            }
            if written < length { return -1 }
            if ws.hasOutgoing || ws.pendingClose != nil {
                lws_callback_on_writable(ws.wsi)
            } else {
                ws.endpoint.drained(ws.id)
            }
            return 0
        }
        if let close = ws.pendingClose {
            var reason = Array(close.reason.utf8.prefix(120))
            lws_close_reason(ws.wsi, lws_close_status(rawValue: UInt32(close.code)), &reason, reason.count)
            return -1
        }
        return 0
    }
}

extension ServiceLoop {
    /// Liveness without lws's per-connection validity timers (see ``start()``):
    /// one sweep over all WebSockets. A peer silent for `limits.pingAfterMs`
    /// gets a ping (browsers and WebSocket libraries answer with a pong); one
    /// silent for `limits.idleTimeoutMs` is gone — a half-open TCP connection
    /// would otherwise hold its descriptor and session attachment forever.
    func scheduleLivenessSweep() {
        let limits = options.limits
        // Often enough that a timeout is noticed within half the ping interval, never busier than 4 per second.
        let interval = min(30_000, max(250, limits.pingAfterMs / 2))
        schedule(afterMs: interval) { [weak self] in
            guard let self else { return }
            let now = LoopClock.monotonicMs()
            for ws in self.webSockets.values where !ws.closing {
                let silent = now &- ws.lastHeardMs
                if silent >= UInt64(limits.idleTimeoutMs) {
                    self.limitCounters.idleCloses += 1
                    self.closeNow(ws, code: CloseCode.goingAway, reason: "no answer to pings")
                } else if silent >= UInt64(limits.pingAfterMs), !ws.pingPending {
                    ws.pingPending = true
                    lws_callback_on_writable(ws.wsi)
                }
            }
            self.scheduleLivenessSweep()
        }
    }
}
