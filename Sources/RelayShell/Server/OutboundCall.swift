import CLWS
import HTTPModel

/// One outbound HTTP exchange driven by lws's client role.
final class OutboundCall {
    static let protocolName = "relay-http-client"

    let id: UInt64
    let request: OutboundRequest
    let completion: (OutboundResult) -> Void
    var wsi: OpaquePointer?
    var status = 0
    var body: [UInt8] = []
    var finished = false
    /// The lane (keep-alive connection group) carrying this call, and its host key.
    var lane: (key: String, index: Int)?
    /// Strings lws reads during connect; freed when the call is dropped.
    var cStrings: [UnsafeMutablePointer<CChar>] = []

    init(id: UInt64, request: OutboundRequest, completion: @escaping (OutboundResult) -> Void) {
        self.id = id
        self.request = request
        self.completion = completion
    }

    deinit { cStrings.forEach { free($0) } }

    func keep(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        cStrings.append(p)
        return UnsafePointer(p)
    }
}

extension ServiceLoop {
    /// Largest response body read from an outbound call.
    static let maxResponseBytes = 4 << 20

    /// Makes an HTTP(S) call on the loop. `completion` runs exactly once, on
    /// the loop: with the response, or with a transport error (including the
    /// request's deadline passing).
    public func call(_ request: OutboundRequest, completion: @escaping (OutboundResult) -> Void) {
        let call = OutboundCall(id: newID(), request: request, completion: completion)
        calls[call.id] = call

        var info = lws_client_connect_info()
        info.context = context
        info.address = call.keep(request.url.host)
        info.port = Int32(request.url.port)
        info.path = call.keep(request.url.path)
        // lws reuses an idle keep-alive connection only when the Host value equals the
        // address it connects to, so Host carries no port (fine for 8x8's :443;
        // servers on other ports here are our own simulator or a bot on loopback).
        info.host = call.keep(request.url.host)
        info.origin = call.keep(request.url.host)
        info.method = call.keep(request.method)
        info.protocol = call.keep(OutboundCall.protocolName)
        info.local_protocol_name = call.keep(OutboundCall.protocolName)
        // Pipelining lets lws reuse one keep-alive connection per 8x8 endpoint and lane.
        // Deliberately no LCCSCF_ALLOW_* / _SKIP_SERVER_CERT_HOSTNAME_CHECK: chain and name are verified (ServiceLoop+TLS).
        info.ssl_connection = Int32(LCCSCF_PIPELINE.rawValue) | (request.url.secure ? Int32(LCCSCF_USE_SSL.rawValue) : 0)
        info.keep_warm_secs = 30
        info.opaque_user_data = clws_id_to_pointer(UInt(call.id))
        if !lanes.vhosts.isEmpty {
            let key = "\(request.url.host):\(request.url.port):\(request.url.secure)"
            let lane = lanes.acquire(key)
            call.lane = (key, lane)
            info.vhost = lanes.vhosts[lane]
        }
        let wsi = lws_client_connect_via_info(&info)
        if let wsi, !call.finished { call.wsi = wsi }
        if wsi == nil {
            finish(call, .transportError("cannot connect to \(request.url.hostHeader)"))
        } else {
            schedule(afterMs: request.timeoutMs) { [weak self, weak call] in
                guard let self, let call, !call.finished else { return }
                self.finish(call, .transportError("no answer within \(request.timeoutMs) ms"))
                if let wsi = call.wsi { lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, clws_kill_async()) }
            }
        }
    }

    func finish(_ call: OutboundCall, _ result: OutboundResult) {
        guard !call.finished else { return }
        call.finished = true
        calls.removeValue(forKey: call.id)
        if let lane = call.lane { lanes.release(lane.key, lane: lane.index) }
        // Deliver on the next loop turn, not inside lws's callback: a follow-up
        // call made from the completion can then reuse this (by then idle)
        // keep-alive connection instead of opening a new one.
        undeliveredResults += 1
        schedule(afterMs: 0) { [unowned self] in
            self.undeliveredResults -= 1
            call.completion(result)
        }
    }

    func outboundCall(for wsi: OpaquePointer) -> OutboundCall? {
        calls[UInt64(clws_pointer_to_id(lws_get_opaque_user_data(wsi)))]
    }
}
