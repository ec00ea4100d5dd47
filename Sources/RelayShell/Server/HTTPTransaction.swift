import CLWS
import HTTPModel

/// One HTTP request/response on a (possibly keep-alive) server connection.
final class HTTPTransaction {
    let id: UInt64
    let wsi: OpaquePointer
    let method: String
    let path: String
    let query: [String: String]
    let headers: [String: String]
    var body: [UInt8] = []
    var response: HTTPResponse?
    /// Status and headers are written from the first WRITEABLE after the response is known.
    var headersSent = false
    /// The whole response is written: the transaction can be forgotten.
    var completed = false
    var bodyOffset = 0
    /// Answered before its body was read (413): the rest of the body is read and
    /// dropped, then the connection ends (what follows is not a next request).
    var closeAfterResponse = false
    /// The whole request body has arrived (or there was none).
    var bodyComplete = false

    init(id: UInt64, wsi: OpaquePointer, method: String, path: String, query: [String: String], headers: [String: String]) {
        self.id = id
        self.wsi = wsi
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    var request: HTTPRequest { HTTPRequest(method: method, path: path, query: query, headers: headers, body: body) }
}

extension ServiceLoop {
    /// Request headers the handlers may read. lws only keeps headers it knows
    /// or that we ask for by name, so the list is explicit.
    static let customHeaders = [
        "x-api-key", "x-8x8-tenant", "x-8x8-tenant-id", "x-8x8-customer-id", "x-8x8-event-id",
        "x-8x8-transmission-time", "x-8x8-retry", "x-8x8-signature",
    ]

    static let knownHeaders: [(String, lws_token_indexes)] = [
        ("content-type", WSI_TOKEN_HTTP_CONTENT_TYPE), ("content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH),
        ("authorization", WSI_TOKEN_HTTP_AUTHORIZATION), ("origin", WSI_TOKEN_ORIGIN), ("host", WSI_TOKEN_HOST),
        ("user-agent", WSI_TOKEN_HTTP_USER_AGENT), ("accept", WSI_TOKEN_HTTP_ACCEPT),
    ]

    static let methodTokens: [(String, lws_token_indexes)] = [
        ("GET", WSI_TOKEN_GET_URI), ("POST", WSI_TOKEN_POST_URI), ("PUT", WSI_TOKEN_PUT_URI),
        ("PATCH", WSI_TOKEN_PATCH_URI), ("DELETE", WSI_TOKEN_DELETE_URI), ("OPTIONS", WSI_TOKEN_OPTIONS_URI),
        ("HEAD", WSI_TOKEN_HEAD_URI),
    ]

    func header(_ wsi: OpaquePointer, token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return Self.text(buffer, count: length)
    }

    func customHeader(_ wsi: OpaquePointer, name: String) -> String? {
        let key = name + ":"
        let length = Int(lws_hdr_custom_length(wsi, key, Int32(key.utf8.count)))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count), key, Int32(key.utf8.count)) >= 0 else { return nil }
        return Self.text(buffer, count: length)
    }

    /// The first `count` bytes of a C buffer lws filled, as UTF-8 text.
    static func text(_ buffer: [CChar], count: Int) -> String {
        String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func requestPath(_ wsi: OpaquePointer, token: lws_token_indexes) -> String? { header(wsi, token: token) }

    /// Reads method, path, query and headers of the request on `wsi`.
    func beginTransaction(_ wsi: OpaquePointer) -> HTTPTransaction? {
        guard let (method, path) = Self.methodTokens.lazy.compactMap({ (name, token) in
            self.header(wsi, token: token).map { (name, $0) }
        }).first else { return nil }
        var headers: [String: String] = [:]
        for (name, token) in Self.knownHeaders { headers[name] = header(wsi, token: token) }
        for name in Self.customHeaders { headers[name] = customHeader(wsi, name: name) }
        return HTTPTransaction(id: newID(), wsi: wsi, method: method, path: path, query: queryArguments(wsi), headers: headers)
    }

    /// lws splits the query into fragments and URL-decodes each one.
    private func queryArguments(_ wsi: OpaquePointer) -> [String: String] {
        var query: [String: String] = [:]
        var index: Int32 = 0
        var buffer = [CChar](repeating: 0, count: 2048)
        while true {
            let n = lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index)
            guard n > 0 else { break }
            let pair = Self.text(buffer, count: Int(n))
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            index += 1
        }
        return query
    }

    /// Asks the handlers in order; the answer is written now or, for a
    /// deferring handler, when it responds.
    func dispatch(_ transaction: HTTPTransaction) {
        let request = transaction.request
        for handler in httpHandlers {
            if let deferring = handler as? DeferringHTTPHandler {
                let id = transaction.id
                let claimed = deferring.handle(request) { [weak self] response in
                    // The connection may have closed meanwhile (CLOSED_HTTP removed the transaction).
                    guard let self, let transaction = self.transactions[id], transaction.response == nil else { return }
                    self.respond(transaction, response)
                }
                if claimed { return }
            }
            if let response = handler.handle(request) { return respond(transaction, response) }
        }
        respond(transaction, .problem(404, code: "not_found", message: "no route for \(request.method) \(request.path.prefix(200))"))
    }

    /// Records the response; status, headers and body are written from
    /// HTTP_WRITEABLE — or at once for an answer given at the end of a turn.
    func respond(_ transaction: HTTPTransaction, _ response: HTTPResponse) {
        transaction.response = response
        transaction.bodyOffset = 0
        transaction.headersSent = false
        // At the end of a turn no lws callback is running, and the answers given then
        // are the ones that waited for the turn's commit (8x8 webhooks). Written now,
        // they leave before the next poll instead of a turn later; 8x8 sends its next
        // webhook on a keep-alive connection only after this answer.
        if endingTurn, !transaction.closeAfterResponse, response.body.count <= 16_384, lws_send_pipe_choked(transaction.wsi) == 0 {
            let result = writeBody(transaction.wsi, transaction)
            if transaction.completed { transactions.removeValue(forKey: transaction.id) }
            // What the WRITEABLE callback would end by returning -1: close from the loop.
            if result != 0 { killAsync(transaction.wsi) }
            return
        }
        lws_callback_on_writable(transaction.wsi)
    }

    /// Writes status and headers (lws allows one write per WRITEABLE).
    private func writeHeaders(_ wsi: OpaquePointer, _ transaction: HTTPTransaction, _ response: HTTPResponse) -> Int32 {
        transaction.headersSent = true
        let pre = clws_pre()
        var buffer = [UInt8](repeating: 0, count: pre + 4096)
        return buffer.withUnsafeMutableBufferPointer { b -> Int32 in
            let start = b.baseAddress! + pre
            var p: UnsafeMutablePointer<UInt8>? = start
            let end = b.baseAddress! + b.count - 1
            if lws_add_http_common_headers(wsi, UInt32(response.status), response.contentType, lws_filepos_t(response.body.count), &p, end) != 0 {
                return -1
            }
            var extra = response.headers
            extra["cache-control"] = extra["cache-control"] ?? "no-store"
            extra["x-content-type-options"] = "nosniff"
            if transaction.closeAfterResponse { extra["connection"] = "close" }
            for (name, value) in extra.sorted(by: { $0.key < $1.key }) {
                let bytes = Array(value.utf8)
                if lws_add_http_header_by_name(wsi, name + ":", bytes, Int32(bytes.count), &p, end) != 0 { return -1 }
            }
            return lws_finalize_write_http_header(wsi, start, &p, end) != 0 ? -1 : 0
        }
    }

    /// Writes the headers and then, while the socket takes more, the body
    /// chunks; completes the transaction (keep-alive) at the end.
    ///
    /// Headers and a small body go out in the same WRITEABLE: waiting for the
    /// next one costs a whole service turn per answer, and on a keep-alive
    /// connection 8x8 sends its next webhook only after the answer (three turns
    /// per webhook capped agent→user relaying at ~600/s over 8 connections).
    func writeBody(_ wsi: OpaquePointer, _ transaction: HTTPTransaction) -> Int32 {
        guard let response = transaction.response else { return 0 }
        if !transaction.headersSent {
            if writeHeaders(wsi, transaction, response) != 0 { return -1 }
            // lws keeps what the socket did not take and wants it sent before anything else.
            if lws_send_pipe_choked(wsi) != 0 {
                lws_callback_on_writable(wsi)
                return 0
            }
        }
        let remaining = response.body.count - transaction.bodyOffset
        if remaining > 0 {
            let chunk = min(remaining, 16_384)
            let final = chunk == remaining
            let pre = clws_pre()
            var buffer = [UInt8](repeating: 0, count: pre + chunk)
            buffer.replaceSubrange(pre..<(pre + chunk), with: response.body[transaction.bodyOffset..<(transaction.bodyOffset + chunk)])
            let written = buffer.withUnsafeMutableBufferPointer { b in
                lws_write(wsi, b.baseAddress! + pre, chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
            }
            if written < chunk { return -1 }
            transaction.bodyOffset += chunk
            if !final {
                lws_callback_on_writable(wsi)
                return 0
            }
        }
        transaction.completed = true
        // Closing while the client still sends its body would reset the connection
        // before it reads the answer; the end of the body closes it instead.
        if transaction.closeAfterResponse { return transaction.bodyComplete ? -1 : 0 }
        return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
    }
}
