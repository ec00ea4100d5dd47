import RelayStore

/// Waits for a node's inbox and the shared log with one blocking XREAD on both streams,
/// so a message from another node and an event appended anywhere wake it alike.
final class RedisListener: ClusterListener {
    /// The longest single wait: the connection's command timeout is this much longer.
    static let blockLimitMs = 2_000
    private let connection: RedisConnection
    private let inbox: String
    private let log: String
    /// The last inbox entry read. A node id is fresh per start, so its inbox starts empty
    /// and reading from the beginning loses nothing posted before the first wait.
    private var inboxID = "0-0"
    private var offset: Int64

    init(connection: RedisConnection, inbox: String, log: String, afterOffset: Int64) {
        self.connection = connection
        self.inbox = inbox
        self.log = log
        self.offset = afterOffset
    }

    func next(timeoutMs: Int, logAfter: Int64?) throws(StoreError) -> ClusterDelivery {
        let block = Int64(min(max(1, timeoutMs), Self.blockLimitMs))
        var command: [RedisArg] = ["XREAD", "COUNT", "1000", "BLOCK", .int(block), "STREAMS", .text(inbox)]
        if let logAfter {
            offset = max(offset, logAfter)
            command += [.text(log), .text(inboxID), .text("\(offset)-0")]
        } else {
            command.append(.text(inboxID))
        }
        let reply = try RedisStore.check(connection.command(command))
        var delivery = ClusterDelivery()
        for stream in reply.elements {
            let parts = stream.elements
            guard parts.count == 2, let name = parts[0].text else { continue }
            if name == inbox {
                for entry in parts[1].elements {
                    let fields = entry.elements
                    guard fields.count == 2, let id = fields[0].text else { continue }
                    inboxID = id
                    let flat = fields[1].elements
                    for i in stride(from: 1, to: flat.count, by: 2) {
                        if case .string(let payload) = flat[i] { delivery.messages.append(payload) }
                    }
                }
            } else {
                for entry in parts[1].elements {
                    let event = try RedisStore.event(entry)
                    offset = max(offset, event.offset)
                    delivery.events.append(event)
                }
            }
        }
        return delivery
    }

    func close() { connection.close() }
}
