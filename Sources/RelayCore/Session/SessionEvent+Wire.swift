import RelayJSON

/// One JSON shape per event, everywhere: the chat protocol's `event` frames,
/// the durable log's payloads and the integrator stream all carry it, so a
/// client that reads one reads them all (docs/PROTOCOL.md, "Session events").
extension SessionEvent {
    /// `{"seq","ts","type":"message","from","text","id"?,"agentId"?}` or
    /// `{"seq","ts","type":"handover","state",…state fields}`.
    public var wire: JSONValue {
        var fields: [String: JSONValue] = ["seq": JSONValue(seq), "ts": JSONValue(ts)]
        switch kind {
        case .message(let m):
            fields["type"] = "message"
            fields["from"] = .string(m.from.rawValue)
            fields["text"] = .string(m.text)
            if let id = m.clientID { fields["id"] = .string(id) }
            if let agent = m.agentID { fields["agentId"] = .string(agent) }
        case .handover(let state):
            fields.merge(state.wireFields) { _, new in new }
            fields["type"] = "handover"
        }
        return .object(fields)
    }

    /// The `type` tag of ``wire`` (the log's `kind` column and the stream's type filter).
    public var typeName: String {
        switch kind {
        case .message: "message"
        case .handover: "handover"
        }
    }

    /// Reads back ``wire``; nil when the shape is not one this relay writes.
    public init?(wire json: JSONValue) {
        guard let seq = json["seq"]?.intValue, let ts = json["ts"]?.int64Value else { return nil }
        switch json["type"]?.stringValue {
        case "message":
            guard let from = json["from"]?.stringValue.flatMap(Author.init(rawValue:)), let text = json["text"]?.stringValue else { return nil }
            self.init(seq: seq, ts: ts, kind: .message(.init(from: from, text: text, clientID: json["id"]?.stringValue,
                                                             agentID: json["agentId"]?.stringValue)))
        case "handover":
            guard let state = HandoverState(wireFields: json) else { return nil }
            self.init(seq: seq, ts: ts, kind: .handover(state))
        default:
            return nil
        }
    }
}

extension HandoverState {
    /// Reads back ``wireFields``.
    public init?(wireFields json: JSONValue) {
        switch json["state"]?.stringValue {
        case "requested":
            guard let queue = json["queueId"]?.stringValue else { return nil }
            self = .requested(queueID: queue)
        case "queued":
            guard let queue = json["queueId"]?.stringValue else { return nil }
            self = .queued(queueID: queue, queueName: json["queueName"]?.stringValue)
        case "active":
            guard let agent = json["agentId"]?.stringValue else { return nil }
            self = .active(agentID: agent)
        case "transferred": self = .transferred
        case "ended":
            guard let by = json["by"]?.stringValue.flatMap(Author.init(rawValue:)) else { return nil }
            self = .ended(by: by)
        case "cancelled": self = .cancelled
        case "failed": self = .failed(reason: json["reason"]?.stringValue ?? "")
        default: return nil
        }
    }
}
