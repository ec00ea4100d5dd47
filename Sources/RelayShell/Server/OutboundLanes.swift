import CLWS

/// Parallel keep-alive connections for outbound calls.
///
/// lws reuses a keep-alive HTTP/1.1 connection by queueing ("pipelining")
/// every call to the same host:port of a vhost onto one connection, one
/// exchange at a time — so a single vhost carries at most one call per round
/// trip to 8x8, whatever the number of sessions. Each lane is a client-only
/// vhost; lws keeps one connection per host per lane, so N lanes give N calls
/// in flight per host while every connection is still reused. Calls go to the
/// lane with the fewest calls in flight to that host (per-session order is
/// kept by the core, which has one call per session in flight).
///
/// An exchange costs the loop about three service turns (request headers,
/// body, then the answer), so a lane carries one call per ~3 turns whatever
/// the network: with the loop busy (~5 ms turns at 2 000 chat messages/s),
/// 8 lanes carried 120–460 calls/s and the calls of 1 000 sessions queued up
/// behind them; 32 lanes carried 2 000/s (docs/BENCHMARKS.md, handover). A lane
/// opens its connection only when a call goes to it, and the least busy lane
/// is chosen, so a quiet relay still uses one or two connections; idle ones
/// close after `keep_warm_secs`.
struct OutboundLanes {
    /// Calls handed to lws per lane and host: the exchange in progress and the next one, which
    /// lws then starts as soon as the first completes. The rest wait in the lane here, not in lws:
    /// lws 4.1 keeps a timeout of every queued client connection in one sorted list that each
    /// insertion walks, so a thousand calls queued inside lws cost O(queued) per exchange (12 %
    /// of the relay's CPU in the handover bench, `lws_dll2_add_sorted`).
    static let handedPerLane = 2

    /// Client-only vhosts (no listening socket), created once with the context.
    var vhosts: [OpaquePointer] = []
    /// Calls in flight (handed to lws or waiting) per "host:port:tls", per lane.
    private var load: [String: [Int]] = [:]
    /// Calls handed to lws, per host key and lane.
    private var handed: [String: [Int]] = [:]
    /// Calls waiting for their lane, oldest first (finished ones are skipped when their turn comes).
    private var waiting: [String: [[OutboundCall]]] = [:]

    /// The least busy lane for `key`; the caller must `release` it when the call finishes.
    mutating func acquire(_ key: String) -> Int {
        var counts = load[key] ?? Array(repeating: 0, count: vhosts.count)
        let lane = counts.indices.min { counts[$0] < counts[$1] } ?? 0
        counts[lane] += 1
        load[key] = counts
        return lane
    }

    mutating func release(_ key: String, lane: Int) {
        guard var counts = load[key], counts.indices.contains(lane) else { return }
        counts[lane] = max(0, counts[lane] - 1)
        load[key] = counts
    }

    /// Whether the lane can take another call into lws now, and how many it already has there.
    func room(_ key: String, lane: Int) -> (free: Bool, handed: Int) {
        let n = handed[key]?[lane] ?? 0
        return (n < Self.handedPerLane, n)
    }

    mutating func handOver(_ key: String, lane: Int) {
        var counts = handed[key] ?? Array(repeating: 0, count: vhosts.count)
        counts[lane] += 1
        handed[key] = counts
    }

    mutating func handedBack(_ key: String, lane: Int) {
        guard var counts = handed[key], counts.indices.contains(lane) else { return }
        counts[lane] = max(0, counts[lane] - 1)
        handed[key] = counts
    }

    // The queues are changed in place through the dictionary: a local copy of them would
    // copy every waiting call of the host on each call (hundreds under load).
    mutating func wait(_ call: OutboundCall, _ key: String, lane: Int) {
        waiting[key, default: Array(repeating: [], count: vhosts.count)][lane].append(call)
    }

    /// The oldest unfinished call waiting for the lane, taken off its queue.
    mutating func nextWaiting(_ key: String, lane: Int) -> OutboundCall? {
        guard waiting[key]?.indices.contains(lane) == true else { return nil }
        while let call = waiting[key]![lane].first {
            waiting[key]![lane].removeFirst()
            if !call.finished { return call }
        }
        return nil
    }
}

extension ServiceLoop {
    /// Creates the outbound lanes: vhosts with the same protocols, no listener,
    /// and lws's client TLS set up like the default vhost's.
    func createOutboundLanes(protocols: UnsafeMutablePointer<lws_protocols>) throws(StartError) {
        for index in 0..<options.outboundLanes {
            var info = lws_context_creation_info()
            info.port = -1  // CONTEXT_PORT_NO_LISTEN
            info.protocols = UnsafePointer(protocols)
            info.vhost_name = UnsafePointer(cString("outbound-\(index)"))
            info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
            configureClientTLS(&info)
            guard let vhost = lws_create_vhost(context, &info) else {
                throw StartError(message: "cannot create outbound connection lane \(index)")
            }
            lanes.vhosts.append(vhost)
        }
    }
}
