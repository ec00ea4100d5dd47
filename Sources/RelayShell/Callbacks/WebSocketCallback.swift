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
        // lws 4.1 accepts any Sec-WebSocket-Version and key (RFC 6455 §4.2.1): check them here.
        if let refusal = WebSocketHandshake.refusal(key: loop.header(wsi, token: WSI_TOKEN_KEY),
                                                    version: loop.header(wsi, token: WSI_TOKEN_VERSION)) {
            return refuseUpgrade(wsi, status: refusal.status, refusal.reason, headers: refusal.headers)
        }
        // Each subprotocol lives on exactly one path; anything else is refused before the upgrade.
        guard let endpoint = loop.endpoint(for: wsi) else { return refuseUpgrade(wsi, "unknown WebSocket subprotocol") }
        let path = loop.requestPath(wsi, token: WSI_TOKEN_GET_URI)
        guard path == endpoint.path else {
            return refuseUpgrade(wsi, "subprotocol \(endpoint.subprotocol) is served at \(endpoint.path) only")
        }
        if loop.draining { return refuseUpgrade(wsi, status: 503, "relay restarting; reconnect shortly") }
        if endpoint.checksOrigin, case .refuse(let why) = loop.options.originPolicy.decide(origin: loop.header(wsi, token: WSI_TOKEN_ORIGIN)) {
            return refuseUpgrade(wsi, status: 403, why)
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

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        // lws echoes the peer's close as is, even a 1-byte payload or a code above 4999
        // (RFC 6455 §7.4); PeerClose says what to answer instead.
        let payload = input.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
        switch PeerClose.answer(payload: payload) {
        case .echo:
            return 0
        case .echoWithStatus(let code):
            // `input` is lws's receive buffer, which it echoes after we return 0: rewrite the
            // status in place, as lws does itself for reserved codes (payload.count >= 2 here).
            input?.storeBytes(of: UInt8(code >> 8), as: UInt8.self)
            input?.storeBytes(of: UInt8(code & 0xFF), toByteOffset: 1, as: UInt8.self)
            return 0
        case .close(let code, let why):
            // Our own close frame instead of the echo (lws then waits up to 5 s for an answer).
            var reason = Array(why.utf8)
            lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), &reason, reason.count)
            return -1
        }

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
        // lws checks UTF-8 as bytes arrive, but not that the message ends on a character
        // boundary when its last fragment is empty (RFC 6455 §8.1: that is 1007 too).
        guard let text = String(validating: ws.incoming, as: UTF8.self) else {
            closeNow(ws, code: CloseCode.invalidPayload, reason: "message ends inside a UTF-8 sequence")
            return 0
        }
        ws.incoming.removeAll(keepingCapacity: ws.incoming.capacity <= 16_384)
        guard admitMessage(ws) else { return 0 }
        ws.endpoint.received(ws.id, text: text)
        return 0
    }
}

/// Answers a refused WebSocket handshake with `status` (400 unless given: 403
/// for a disallowed Origin, 426 for a version, 429 over the per-address cap,
/// 503 while shutting down) and the reason (lws would otherwise drop the socket silently) and returns lws's
/// "reject". The response is written raw: at this stage lws has not recorded
/// the request's HTTP version and would answer "HTTP/1.0", which strict
/// WebSocket clients refuse to parse.
func refuseUpgrade(_ wsi: OpaquePointer, status: Int = 400, _ why: String, headers: [String: String] = [:]) -> Int32 {
    let body = why + "\n"
    let extra = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\r\n" }.joined()
    let phrase = [400: "Bad Request", 403: "Forbidden", 426: "Upgrade Required", 429: "Too Many Requests", 503: "Service Unavailable"][status] ?? "Refused"
    let head = "HTTP/1.1 \(status) \(phrase)\r\ncontent-type: text/plain; charset=utf-8\r\n"
        + "content-length: \(body.utf8.count)\r\n\(extra)connection: close\r\n\r\n"
    let bytes = Array((head + body).utf8)
    let pre = clws_pre()
    var buffer = [UInt8](repeating: 0, count: pre + bytes.count)
    buffer.replaceSubrange(pre..<(pre + bytes.count), with: bytes)
    _ = buffer.withUnsafeMutableBufferPointer { b in lws_write(wsi, b.baseAddress! + pre, bytes.count, LWS_WRITE_HTTP_HEADERS) }
    return 1
}
