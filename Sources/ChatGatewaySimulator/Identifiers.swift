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

/// ISO 8601 timestamps without Foundation, for `createdAt` fields.
///
/// REST resources carry dates as ISO strings while webhook envelopes carry
/// milliseconds; the simulator mirrors that split.
enum Timestamp {
    /// "2024-05-01T12:00:00.000Z" for milliseconds since the Unix epoch (negative clamps to the epoch).
    static func iso8601(ms: Int64) -> String {
        let clamped = max(ms, 0)
        let days = clamped / 86_400_000
        let msOfDay = clamped % 86_400_000
        let (year, month, day) = civil(fromDays: days)
        let hours = msOfDay / 3_600_000
        let minutes = msOfDay / 60_000 % 60
        let seconds = msOfDay / 1000 % 60
        let millis = msOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2)).\(pad(millis, 3))Z"
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
