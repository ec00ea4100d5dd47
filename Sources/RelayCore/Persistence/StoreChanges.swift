import RelayJSON
import RelayStore

/// What the engine changed since the shell last asked, for the ``EventStore``
/// in one transaction: new events, the snapshots of sessions whose durable
/// state changed, sessions that are finished, and webhook ids seen.
///
/// The shell writes these *before* it carries out the effects of the same
/// inputs, so nothing is acknowledged, relayed or answered that a crash could
/// still take back.
public struct StoreChanges: Equatable, Sendable {
    public var events: [NewEvent] = []
    public var snapshots: [StoredSession] = []
    /// Sessions the relay forgot: their snapshots go, their events become prunable.
    public var finished: [SessionID] = []
    /// 8x8 webhook event ids processed, so a redelivery after a restart is still a duplicate.
    public var webhookIDs: [String] = []
    /// 8x8 conversations created, for nodes that must route their webhooks (see ``StoreCommit/conversations``).
    public var conversations: [ConversationLink] = []

    public init() {}

    public var isEmpty: Bool { events.isEmpty && snapshots.isEmpty && finished.isEmpty && webhookIDs.isEmpty && conversations.isEmpty }

    /// Everything about `sessions` taken out: their writes were refused because another
    /// node owns them now (``StoreError/Code/fenced``).
    public mutating func drop(sessions: Set<String>) {
        events.removeAll { sessions.contains($0.sessionID) }
        snapshots.removeAll { sessions.contains($0.id) }
        finished.removeAll { sessions.contains($0.rawValue) }
        conversations.removeAll { sessions.contains($0.sessionID) }
    }
}

/// The engine's record of changes not yet taken by the shell, and the last
/// snapshot written per session (so an unchanged session is not rewritten).
struct Journal: Sendable {
    var events: [NewEvent] = []
    var touched: [SessionID] = []
    private var touchedSet: Set<SessionID> = []
    var finished: [SessionID] = []
    var webhookIDs: [String] = []
    var conversations: [ConversationLink] = []
    /// The version of each session's last written snapshot (a version, not a
    /// copy: idle sessions cost a few bytes here, not a second session header).
    var persisted: [SessionID: SnapshotVersion] = [:]

    var isEmpty: Bool { events.isEmpty && touched.isEmpty && finished.isEmpty && webhookIDs.isEmpty && conversations.isEmpty }

    mutating func touch(_ sid: SessionID) {
        if touchedSet.insert(sid).inserted { touched.append(sid) }
    }

    /// - Parameter frame: `event.wire` serialized once by the caller — the chat frame, and the heart of the stored payload.
    mutating func record(_ event: SessionEvent, frame: [UInt8], of session: Session) {
        events.append(NewEvent(sessionID: session.id.rawValue, seq: event.seq, ts: event.ts, kind: event.typeName,
                               payloadJSON: LogPayload.serialized(wire: frame, handover: session.handover?.settings)))
        touch(session.id)
    }

    mutating func clearTouched() {
        touched.removeAll(keepingCapacity: true)
        touchedSet.removeAll(keepingCapacity: true)
    }
}

/// The payload of a logged event: the event's wire form plus the provider and
/// queue of the session's handover (current or last), so stream filters and
/// replays can select by them long after the session is gone.
public enum LogPayload {
    static func make(_ event: SessionEvent, handover: HandoverSettings?) -> JSONValue {
        make(wire: event.wire, handover: handover)
    }

    static func make(wire: JSONValue, handover: HandoverSettings?) -> JSONValue {
        var fields: [String: JSONValue] = ["event": wire]
        if let handover {
            fields["provider"] = .string(handover.provider)
            fields["queue"] = .string(handover.queueID)
        }
        return .object(fields)
    }

    /// `make(wire:handover:).serializedBytes`, around the wire's bytes serialized
    /// already (the serializer sorts keys: `event`, `provider`, `queue`).
    static func serialized(wire: [UInt8], handover: HandoverSettings?) -> [UInt8] {
        var bytes = eventKey
        bytes.reserveCapacity(eventKey.count + wire.count + 64)
        bytes += wire
        if let handover {
            bytes += Array(#","provider":"#.utf8) + JSONValue.string(handover.provider).serializedBytes
            bytes += Array(#","queue":"#.utf8) + JSONValue.string(handover.queueID).serializedBytes
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public static func event(_ payload: JSONValue) -> JSONValue? { payload["event"] }
    public static func provider(_ payload: JSONValue) -> String? { payload["provider"]?.stringValue }
    public static func queue(_ payload: JSONValue) -> String? { payload["queue"]?.stringValue }

    /// A stored payload taken apart without parsing the event: the bytes of
    /// its `event` value, and the routing fields (a small parse of the rest).
    /// Relies on the serializer's sorted keys: `{"event":…,"provider":…,"queue":…}`.
    /// Nil if the bytes are not in that shape (then parse them).
    public static func split(_ bytes: [UInt8]) -> (event: ArraySlice<UInt8>, provider: String?, queue: String?)? {
        let start = eventKey.count
        guard bytes.starts(with: eventKey), let end = JSONScanner.valueEnd(bytes, from: start) else { return nil }
        let event = bytes[start..<end]
        if end == bytes.count - 1, bytes[end] == UInt8(ascii: "}") { return (event, nil, nil) }
        guard bytes[end] == UInt8(ascii: ","), let rest = try? JSONValue.parse(bytes: [UInt8(ascii: "{")] + bytes[(end + 1)...]) else { return nil }
        return (event, rest["provider"]?.stringValue, rest["queue"]?.stringValue)
    }

    private static let eventKey = Array(#"{"event":"#.utf8)
}
