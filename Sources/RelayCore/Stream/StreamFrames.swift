import RelayJSON
import RelayStore

/// Where a subscriber wants the stream to start.
public enum StreamPosition: Equatable, Sendable {
    /// After `offset` (the last one the client processed) of log `epoch`. `offset` 0: from the beginning.
    case after(offset: Int64, epoch: String?)
    /// Only events appended from now on.
    case now
    /// The first event with `ts` ≥ this (ms since the epoch).
    case since(ts: Int64)
}

/// The one frame a `handover.stream.v1` client sends:
/// `{"type":"subscribe","token","filter"?:{sessions,types,providers,queues},"from"?:…}`.
public struct StreamSubscribe: Equatable, Sendable {
    public var token: String
    public var filter: StreamFilter
    public var from: StreamPosition

    public static let maxListLength = 1000

    public struct DecodeError: Error, Equatable, Sendable { public let message: String }

    public static func decode(_ text: String) throws(DecodeError) -> StreamSubscribe {
        guard let json = try? JSONValue.parse(text), case .object = json else { throw DecodeError(message: "frame is not a JSON object") }
        guard json["type"] == "subscribe" else { throw DecodeError(message: "expected type \"subscribe\"") }
        guard let token = json["token"]?.stringValue, !token.isEmpty, token.utf8.count <= 4096 else {
            throw DecodeError(message: "'token' must be a non-empty string")
        }
        var filter = StreamFilter()
        if let f = json["filter"], !f.isNull {
            guard case .object(let fields) = f else { throw DecodeError(message: "'filter' must be an object") }
            for key in fields.keys where !["sessions", "types", "providers", "queues"].contains(key) {
                throw DecodeError(message: "unknown filter field '\(key.prefix(64))'")
            }
            filter.sessions = try list(f, "sessions")
            filter.types = try list(f, "types")
            filter.providers = try list(f, "providers")
            filter.queues = try list(f, "queues")
            if let types = filter.types, let unknown = types.subtracting(StreamFilter.knownTypes).sorted().first {
                throw DecodeError(message: "unknown event type '\(unknown.prefix(64))' (known: message, handover)")
            }
        }
        return StreamSubscribe(token: token, filter: filter, from: try position(json["from"]))
    }

    private static func list(_ json: JSONValue, _ key: String) throws(DecodeError) -> Set<String>? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let items = value.arrayValue, items.count <= maxListLength else {
            throw DecodeError(message: "'filter.\(key)' must be an array of at most \(maxListLength) strings")
        }
        var result: Set<String> = []
        for item in items {
            guard let s = item.stringValue, !s.isEmpty, s.count <= 256 else {
                throw DecodeError(message: "'filter.\(key)' must hold non-empty strings")
            }
            result.insert(s)
        }
        return result
    }

    private static func position(_ json: JSONValue?) throws(DecodeError) -> StreamPosition {
        guard let json, !json.isNull else { return .now }
        if json == "now" { return .now }
        if json == "start" { return .after(offset: 0, epoch: nil) }
        guard case .object = json else { throw DecodeError(message: "'from' must be \"now\", \"start\", {\"offset\",\"epoch\"} or {\"ts\"}") }
        if let value = json["offset"] {
            guard let offset = value.int64Value, offset >= 0 else { throw DecodeError(message: "'from.offset' must be a non-negative integer") }
            let epoch = json["epoch"]
            guard epoch == nil || epoch!.isNull || epoch!.stringValue != nil else { throw DecodeError(message: "'from.epoch' must be a string") }
            return .after(offset: offset, epoch: epoch?.stringValue)
        }
        if let value = json["ts"] {
            guard let ts = value.int64Value, ts >= 0 else { throw DecodeError(message: "'from.ts' must be a non-negative integer (ms)") }
            return .since(ts: ts)
        }
        throw DecodeError(message: "'from' needs 'offset' (with 'epoch') or 'ts'")
    }
}

/// Frames the relay sends on `handover.stream.v1`, in wire form.
public enum StreamFrame {
    /// Always first. `recovered` is false when events between the requested
    /// position and the first one delivered are gone (`reason`), so the
    /// client knows to resynchronise instead of assuming it saw everything.
    public static func subscribed(epoch: String, position: Int64, lastOffset: Int64, recovered: Bool, reason: String?) -> String {
        var fields: [String: JSONValue] = [
            "type": "subscribed", "epoch": .string(epoch), "position": JSONValue(position), "lastOffset": JSONValue(lastOffset),
            "recovered": .bool(recovered),
        ]
        if let reason { fields["reason"] = .string(reason) }
        return JSONValue.object(fields).serialized
    }

    /// `{"type":"event","offset","sessionId","seq","ts","kind","provider"?,"queue"?,"event":{…}}`:
    /// ``envelope(_:)`` serialized, built around the stored event's bytes
    /// instead of parsing them (replays send thousands of these a second).
    public static func event(_ event: StoredEvent) -> String {
        guard let parts = LogPayload.split(event.payloadJSON) else { return envelope(event).serialized }
        // Keys in the serializer's (sorted) order, so both ways give the same text.
        var out = Array(#"{"event":"#.utf8)
        out.reserveCapacity(parts.event.count + 160)
        out += parts.event
        out += #","kind":"#.utf8
        out += JSONValue.quoted(event.kind).utf8
        out += #","offset":"#.utf8
        out += String(event.offset).utf8
        if let provider = parts.provider {
            out += #","provider":"#.utf8
            out += JSONValue.quoted(provider).utf8
        }
        if let queue = parts.queue {
            out += #","queue":"#.utf8
            out += JSONValue.quoted(queue).utf8
        }
        out += #","seq":"#.utf8
        out += String(event.seq).utf8
        out += #","sessionId":"#.utf8
        out += JSONValue.quoted(event.sessionID).utf8
        out += #","ts":"#.utf8
        out += String(event.ts).utf8
        out += #","type":"event"}"#.utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// A logged event as integrators see it, on the stream and in the read API.
    public static func envelope(_ event: StoredEvent) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": "event", "offset": JSONValue(event.offset), "sessionId": .string(event.sessionID), "seq": JSONValue(event.seq),
            "ts": JSONValue(event.ts), "kind": .string(event.kind), "event": LogPayload.event(event.payload) ?? .null,
        ]
        if let provider = LogPayload.provider(event.payload) { fields["provider"] = .string(provider) }
        if let queue = LogPayload.queue(event.payload) { fields["queue"] = .string(queue) }
        return .object(fields)
    }

    /// The replay has caught up: everything up to `offset` was delivered; what follows is live.
    public static func live(offset: Int64) -> String {
        JSONValue.object(["type": "live", "offset": JSONValue(offset)]).serialized
    }

    /// During a filtered replay: everything up to `offset` was examined (none of it matched
    /// since the last event), so the client can checkpoint here.
    public static func position(offset: Int64) -> String {
        JSONValue.object(["type": "position", "offset": JSONValue(offset)]).serialized
    }

    public static func error(code: String, message: String) -> String { ErrorFrame.text(code: code, message: message) }
}

/// Close codes of `handover.stream.v1`.
public enum StreamCloseCode {
    public static let badFrame: UInt16 = 4400
    public static let badToken: UInt16 = 4401
    public static let forbidden: UInt16 = 4403
    /// The requested offset is beyond the end of the log (of this epoch).
    public static let badPosition: UInt16 = 4416
    /// The subscriber fell too far behind; resume from its last offset.
    public static let tooSlow: UInt16 = 4429
    /// The log's history was reset (a new epoch: the shared store lost its data).
    /// Resubscribe from the last position: `subscribed` says `recovered:false`.
    public static let historyReset: UInt16 = 4410
    /// The log could not be read; retry later from the last offset.
    public static let storeUnavailable: UInt16 = 1011
}
