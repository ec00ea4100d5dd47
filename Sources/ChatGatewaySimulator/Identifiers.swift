/// Makes the ids the simulator hands out: conversations, messages, webhook events.
///
/// Ids are UUID-shaped like 8x8's, so a relay that stores or validates them sees
/// realistic values. Without randomness or clock reads they are built from the
/// caller's time and a sequence number: unique within one simulator, and a
/// restarted simulator (later `nowMs`) cannot repeat ids a relay may have
/// persisted — important because `x-8x8-event-id` is the relay's idempotency key.
struct IdentifierFactory: Sendable, Equatable {
    private(set) var sequence: UInt64 = 0

    /// The next id, e.g. "0190f3a2-7c10-4000-8000-000000000001".
    mutating func next(nowMs: Int64) -> String {
        sequence &+= 1
        let time = hex(UInt64(max(nowMs, 0)) & 0xFFFF_FFFF_FFFF, width: 12)
        let high = hex((sequence >> 48) & 0xFFF, width: 3)
        let low = hex(sequence & 0xFFFF_FFFF_FFFF, width: 12)
        return "\(time.prefix(8))-\(time.suffix(4))-4\(high)-8000-\(low)"
    }

    private func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
