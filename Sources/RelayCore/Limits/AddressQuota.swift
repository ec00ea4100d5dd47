/// Open WebSocket connections per client address, against a cap.
///
/// The cap is on long-lived connections: one address holding thousands of
/// sockets is the cheapest way to exhaust descriptors and memory. Behind a
/// load balancer every connection comes from its address, so the cap is 0
/// (off) there; docs/CONFIG.md says so.
public struct AddressQuota: Equatable, Sendable {
    /// 0 means no cap.
    public let maxPerAddress: Int
    public private(set) var open: [String: Int] = [:]

    public init(maxPerAddress: Int) { self.maxPerAddress = maxPerAddress }

    /// Whether one more connection from `address` is allowed.
    public func allows(_ address: String) -> Bool {
        maxPerAddress == 0 || open[address, default: 0] < maxPerAddress
    }

    public mutating func opened(_ address: String) { open[address, default: 0] += 1 }

    public mutating func closed(_ address: String) {
        guard let count = open[address] else { return }
        // Forget addresses with nothing open, so the table tracks live clients only.
        open[address] = count > 1 ? count - 1 : nil
    }
}
