import CLWS
import HTTPModel

/// One outbound HTTP exchange driven by lws's client role.
final class OutboundCall {
    static let protocolName = "relay-http-client"

    /// The key of the current attempt in `ServiceLoop.calls` and in its wsi's opaque user data
    /// (a re-issued call gets a new one, so late callbacks of the old wsi find nothing).
    var id: UInt64
    let request: OutboundRequest
    let completion: (OutboundResult) -> Void
    var wsi: OpaquePointer?
    var status = 0
    var body: [UInt8] = []
    var finished = false
    /// The lane (keep-alive connection group) carrying this call, and its host key.
    var lane: (key: String, index: Int)?
    /// Handed to lws (not waiting in its lane).
    var handed = false
    /// Another call of the lane was in lws when this one was handed over: lws queued it on
    /// that keep-alive connection, behind the other exchange.
    var queuedBehindAnother = false
    /// lws asked for the request's headers: from here on the request may have reached the server.
    var requestIssued = false
    /// The request body went out (lws may call WRITEABLE again later: it must not go twice).
    var bodyWritten = false
    /// Re-issued once already after its connection closed before the request was sent.
    var reissued = false
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
        submit(call)
        guard !call.finished else { return }
        schedule(afterMs: request.timeoutMs) { [weak self, weak call] in
            guard let self, let call, !call.finished else { return }
            self.finish(call, .transportError("no answer within \(request.timeoutMs) ms"))
            if let wsi = call.wsi { killAsync(wsi) }
        }
    }

    /// Gives `call` a lane and hands it to lws, or leaves it waiting in the lane when the lane
    /// already has its share of calls in lws (see ``OutboundLanes/handedPerLane``).
    private func submit(_ call: OutboundCall) {
        guard !lanes.vhosts.isEmpty else { return connect(call) }
        let key = "\(call.request.url.host):\(call.request.url.port):\(call.request.url.secure)"
        let lane = lanes.acquire(key)
        call.lane = (key, lane)
        if lanes.room(key, lane: lane).free { handOver(call) } else { lanes.wait(call, key, lane: lane) }
    }

    private func handOver(_ call: OutboundCall) {
        guard let lane = call.lane else { return connect(call) }
        call.queuedBehindAnother = lanes.room(lane.key, lane: lane.index).handed > 0
        lanes.handOver(lane.key, lane: lane.index)
        call.handed = true
        connect(call)
    }

    /// `call` left lws (finished or closed): its lane can hand over the next waiting call,
    /// on the next turn (not inside lws's callback for the connection).
    private func leaveLane(_ call: OutboundCall) {
        guard let lane = call.lane else { return }
        lanes.release(lane.key, lane: lane.index)
        call.lane = nil
        guard call.handed else { return }
        call.handed = false
        lanes.handedBack(lane.key, lane: lane.index)
        schedule(afterMs: 0) { [weak self] in
            guard let self else { return }
            while self.lanes.room(lane.key, lane: lane.index).free, let next = self.lanes.nextWaiting(lane.key, lane: lane.index) {
                self.handOver(next)
            }
        }
    }

    /// Starts (or restarts) the exchange of `call` on its lane.
    private func connect(_ call: OutboundCall) {
        let request = call.request
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
        if let lane = call.lane { info.vhost = lanes.vhosts[lane.index] }
        let wsi = lws_client_connect_via_info(&info)
        if let wsi, !call.finished { call.wsi = wsi }
        if wsi == nil { finish(call, .transportError("cannot connect to \(request.url.hostHeader)")) }
    }

    /// The keep-alive connection `call` was queued on closed before its request was sent
    /// (the exchange ahead of it failed): the server provably never saw this request, so it
    /// is made again on the next turn, on a fresh attempt, instead of failing as if 8x8 were down.
    /// Once per call, and only for a call that waited behind another exchange: a connection
    /// of its own that fails is 8x8 being unreachable. Returns false when the failure stands.
    func reissueIfNeverSent(_ call: OutboundCall) -> Bool {
        guard !call.finished, !call.requestIssued, !call.reissued, call.queuedBehindAnother else { return false }
        call.reissued = true
        calls.removeValue(forKey: call.id)
        leaveLane(call)
        call.wsi = nil
        call.id = newID()  // late callbacks of the closed wsi carry the old id and find nothing
        calls[call.id] = call
        reissuedCalls += 1
        // On the next turn, not inside lws's close of the connection it was queued on.
        schedule(afterMs: 0) { [weak self, weak call] in
            guard let self, let call, !call.finished else { return }
            self.submit(call)
        }
        return true
    }

    func finish(_ call: OutboundCall, _ result: OutboundResult) {
        guard !call.finished else { return }
        call.finished = true
        calls.removeValue(forKey: call.id)
        leaveLane(call)
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
