import CLWS
import HTTPModel

/// The lws callback of outbound HTTP calls. The call is found through the
/// wsi's opaque user data (its id), set at connect time.
func httpClientCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                        _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let loop = ServiceLoop.from(wsi), let wsi, let call = loop.outboundCall(for: wsi) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    call.wsi = wsi  // lws may call back before lws_client_connect_via_info returns
    switch reason {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        // `input` points at lws's write cursor; `length` is the room left.
        guard let input else { return -1 }
        call.requestIssued = true
        let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = cursor.pointee else { return -1 }
        let end = start + length
        var headers = call.request.headers
        if !call.request.body.isEmpty || call.request.method != "GET" { headers["content-length"] = String(call.request.body.count) }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(value.utf8)
            if lws_add_http_header_by_name(wsi, name + ":", bytes, Int32(bytes.count), cursor, end) != 0 { return -1 }
        }
        if !call.request.body.isEmpty {
            lws_client_http_body_pending(wsi, 1)
            lws_callback_on_writable(wsi)
        }
        return 0

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        let body = call.request.body
        guard !body.isEmpty else { return 0 }
        // lws 4.1 hands a client every POLLOUT as WRITEABLE, also after the body went out (seen
        // when a pipelined connection closes and calls move): a second copy of the body would be
        // read by the server as the next request (answered 400, and every later answer on the
        // connection goes to the wrong call). The body goes once, after the headers.
        guard call.requestIssued, !call.bodyWritten else {
            loop.logger.debug("outbound call: WRITEABLE after the body was sent; ignored", metadata: ["call": "\(call.id)"])
            return 0
        }
        call.bodyWritten = true
        let pre = clws_pre()
        var buffer = [UInt8](repeating: 0, count: pre + body.count)
        buffer.replaceSubrange(pre..<(pre + body.count), with: body)
        let written = buffer.withUnsafeMutableBufferPointer { b in
            lws_write(wsi, b.baseAddress! + pre, body.count, LWS_WRITE_HTTP_FINAL)
        }
        lws_client_http_body_pending(wsi, 0)
        return written < body.count ? -1 : 0

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        call.status = Int(lws_http_client_http_response(wsi))
        return 0

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        // Drain what arrived; lws calls back RECEIVE_CLIENT_HTTP_READ with the payload.
        let pre = clws_pre()
        var buffer = [CChar](repeating: 0, count: pre + 4096)
        return buffer.withUnsafeMutableBufferPointer { b -> Int32 in
            var p: UnsafeMutablePointer<CChar>? = b.baseAddress! + pre
            var available = Int32(b.count - pre)
            return lws_http_client_read(wsi, &p, &available) < 0 ? -1 : 0
        }

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if let input, length > 0 {
            if call.body.count + length > ServiceLoop.maxResponseBytes {
                loop.finish(call, .transportError("response larger than \(ServiceLoop.maxResponseBytes) bytes"))
                return -1
            }
            call.body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
        }
        return 0

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        loop.finish(call, .response(status: call.status, body: call.body))
        return 0

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if loop.reissueIfNeverSent(call) { return 0 }
        let why = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection failed"
        loop.finish(call, .transportError(loop.clientConnectionFailure(wsi, call.request, lwsReason: why)))
        call.wsi = nil
        return 0

    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if loop.reissueIfNeverSent(call) { return 0 }
        loop.finish(call, .transportError("connection closed before the response was complete"))
        call.wsi = nil
        return 0

    default:
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
}
