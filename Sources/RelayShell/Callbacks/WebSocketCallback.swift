import CLWS
import RelayCore

/// The lws callback of every WebSocket endpoint (shaped like lws's
/// protocol_lws_minimal.c: one switch over the reasons we care about).
/// `user` is the per-session data: 8 bytes holding our connection id.
func webSocketCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                       _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let loop = ServiceLoop.from(wsi), let wsi else { return lws_callback_http_dummy(wsi, reason, user, input, length) }
    switch reason {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        // Each subprotocol lives on exactly one path; anything else is refused before the upgrade.
        guard let endpoint = loop.endpoint(for: wsi) else { return refuseUpgrade(wsi, "unknown WebSocket subprotocol") }
        let path = loop.requestPath(wsi, token: WSI_TOKEN_GET_URI)
        guard path == endpoint.path else {
            return refuseUpgrade(wsi, "subprotocol \(endpoint.subprotocol) is served at \(endpoint.path) only")
        }
        if loop.draining { return refuseUpgrade(wsi, "relay restarting; reconnect shortly", status: "503 Service Unavailable") }
        if endpoint.checksOrigin, case .refuse(let why) = loop.options.originPolicy.decide(origin: loop.header(wsi, token: WSI_TOKEN_ORIGIN)) {
            return refuseUpgrade(wsi, why, status: "403 Forbidden")
        }
        return loop.admitUpgrade(wsi) ?? 0

    case LWS_CALLBACK_ESTABLISHED:
        guard let endpoint = loop.endpoint(for: wsi), let user else { return -1 }
        let id = loop.newID()
        user.storeBytes(of: id, as: UInt64.self)
        let connection = WebSocketConnection(id: ConnectionID(id), wsi: wsi, endpoint: endpoint, address: loop.peerAddress(wsi))
        connection.rateLimiter = loop.newRateLimiter()
        loop.webSockets[id] = connection
        loop.addressQuota.opened(connection.address)
        loop.connectionMetrics.opened(endpoint.subprotocol)
        endpoint.opened(connection.id)
        return 0

    case LWS_CALLBACK_RECEIVE:
        guard let user, let ws = loop.webSockets[user.load(as: UInt64.self)] else { return -1 }
        ws.lastHeardMs = LoopClock.monotonicMs()
        return loop.receive(ws, input: input, length: length)

    case LWS_CALLBACK_RECEIVE_PONG:
        if let user, let ws = loop.webSockets[user.load(as: UInt64.self)] { ws.lastHeardMs = LoopClock.monotonicMs() }
        return 0

    case LWS_CALLBACK_SERVER_WRITEABLE:
        guard let user, let ws = loop.webSockets[user.load(as: UInt64.self)] else { return 0 }
        return loop.writeNext(ws)

    case LWS_CALLBACK_CLOSED:
        guard let user, let ws = loop.webSockets.removeValue(forKey: user.load(as: UInt64.self)) else { return 0 }
        loop.addressQuota.closed(ws.address)
        loop.connectionMetrics.closed(ws.endpoint.subprotocol, code: ws.pendingClose?.code)
        ws.endpoint.closed(ws.id)
        return 0

    default:
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
}

extension ServiceLoop {
    func endpoint(for wsi: OpaquePointer) -> WebSocketEndpoint? {
        guard let proto = lws_get_protocol(wsi), let name = proto.pointee.name else { return nil }
        return endpoints[String(cString: name)]
    }

    /// Reassembles fragmented messages and enforces the size limit. lws has
    /// already validated UTF-8 (LWS_SERVER_OPTION_VALIDATE_UTF8 → 1007).
    func receive(_ ws: WebSocketConnection, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        // Once a close is decided, what the client still sends is not processed.
        if ws.closing || ws.pendingClose != nil { return 0 }
        if lws_frame_is_binary(ws.wsi) != 0 {
            closeNow(ws, code: 1003, reason: "binary frames are not supported")
            return 0
        }
        if ws.incoming.count + length > options.limits.maxMessageBytes {
            limitCounters.oversizedMessages += 1
            var reason = Array("message larger than \(options.limits.maxMessageBytes) bytes".utf8)
            lws_close_reason(ws.wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, &reason, reason.count)
            return -1
        }
        if let input, length > 0 {
            ws.incoming.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        guard lws_is_final_fragment(ws.wsi) != 0, lws_remaining_packet_payload(ws.wsi) == 0 else { return 0 }
        let text = String(decoding: ws.incoming, as: UTF8.self)
        ws.incoming.removeAll(keepingCapacity: ws.incoming.capacity <= 16_384)
        guard admitMessage(ws) else { return 0 }
        ws.endpoint.received(ws.id, text: text)
        return 0
    }
}

/// Answers a refused WebSocket handshake with `status` (400 unless said
/// otherwise: 403 for a disallowed Origin, 429 over the per-address cap) and the reason (lws
/// would otherwise drop the socket silently) and returns lws's "reject".
/// The response is written raw: at this stage lws has not recorded the
/// request's HTTP version and would answer "HTTP/1.0", which strict
/// WebSocket clients refuse to parse.
func refuseUpgrade(_ wsi: OpaquePointer, _ why: String, status: String = "400 Bad Request") -> Int32 {
    let body = why + "\n"
    let head = "HTTP/1.1 \(status)\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n"
    let bytes = Array((head + body).utf8)
    let pre = clws_pre()
    var buffer = [UInt8](repeating: 0, count: pre + bytes.count)
    buffer.replaceSubrange(pre..<(pre + bytes.count), with: bytes)
    _ = buffer.withUnsafeMutableBufferPointer { b in lws_write(wsi, b.baseAddress! + pre, bytes.count, LWS_WRITE_HTTP_HEADERS) }
    return 1
}
