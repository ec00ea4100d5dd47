import CLWS
import Foundation
import HTTPModel

/// The lws callback of protocol 0: every plain HTTP request. `user` is the
/// per-session data: 8 bytes holding the current transaction id.
func httpServerCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                        _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let loop = ServiceLoop.from(wsi), let wsi else { return lws_callback_http_dummy(wsi, reason, user, input, length) }
    switch reason {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return loop.admitsNetworkConnections() ? 0 : -1

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        // A WebSocket upgrade that named no subprotocol (or none we serve) lands here.
        return refuseUpgrade(wsi, "a WebSocket subprotocol is required: handover.chat.v1 at /ws/chat")

    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        // lws would silently drop a handshake naming no subprotocol it knows; answer 400 with the reason instead.
        let offered = (loop.header(wsi, token: WSI_TOKEN_PROTOCOL) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let path = loop.requestPath(wsi, token: WSI_TOKEN_GET_URI)
        guard let endpoint = loop.endpoints.values.first(where: { $0.path == path }) else {
            return refuseUpgrade(wsi, "no WebSocket endpoint at this path")
        }
        guard offered.contains(endpoint.subprotocol) else {
            return refuseUpgrade(wsi, "WebSocket subprotocol \(endpoint.subprotocol) is required at \(endpoint.path)")
        }
        return 0

    case LWS_CALLBACK_HTTP:
        guard let user, let transaction = loop.beginTransaction(wsi) else { return -1 }
        user.storeBytes(of: transaction.id, as: UInt64.self)
        loop.transactions[transaction.id] = transaction
        let declared = transaction.headers["content-length"].flatMap { Int($0) } ?? 0
        if declared > loop.options.limits.maxRequestBodyBytes {
            loop.refuseOversizedBody(transaction)
            return 0
        }
        // Without a body there is nothing more to wait for.
        if declared == 0 {
            transaction.bodyComplete = true
            loop.dispatch(transaction)
        }
        return 0

    case LWS_CALLBACK_HTTP_BODY:
        guard let user, let transaction = loop.transactions[user.load(as: UInt64.self)] else { return -1 }
        if transaction.closeAfterResponse { return 0 }  // refused already (413): the rest is not read
        if transaction.body.count + length > loop.options.limits.maxRequestBodyBytes {
            loop.refuseOversizedBody(transaction)  // a chunked body that outgrew the limit
            return 0
        }
        if let input, length > 0 { transaction.body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length)) }
        return 0

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        // A refused (413) transaction answered in full is forgotten already: close now.
        guard let user, let transaction = loop.transactions[user.load(as: UInt64.self)] else { return -1 }
        transaction.bodyComplete = true
        if !transaction.closeAfterResponse { loop.dispatch(transaction) }
        return 0

    case LWS_CALLBACK_HTTP_WRITEABLE:
        guard let user, let transaction = loop.transactions[user.load(as: UInt64.self)] else { return 0 }
        let result = loop.writeBody(wsi, transaction)
        if transaction.completed { loop.transactions.removeValue(forKey: user.load(as: UInt64.self)) }
        return result

    case LWS_CALLBACK_CLOSED_HTTP, LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if let user { loop.transactions.removeValue(forKey: user.load(as: UInt64.self)) }
        return lws_callback_http_dummy(wsi, reason, user, input, length)

    default:
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
}

extension ServiceLoop {
    /// 413 for a body over `limits.maxRequestBodyBytes`, then the connection ends.
    func refuseOversizedBody(_ transaction: HTTPTransaction) {
        limitCounters.oversizedBodies += 1
        transaction.closeAfterResponse = true
        transaction.body = []
        respond(transaction, .problem(413, code: "body_too_large", message: "request body over \(options.limits.maxRequestBodyBytes) bytes"))
    }
}
