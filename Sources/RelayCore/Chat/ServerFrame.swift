import RelayJSON

/// A frame the relay sends on `handover.chat.v1`, already in wire form.
public enum ServerFrame {
    public static func welcome(sessionID: SessionID, resumeToken: String, resumed: Bool, lastSeq: Int,
                               handover: HandoverState?, ended: Bool = false) -> String {
        var fields: [String: JSONValue] = [
            "type": "welcome", "sessionId": .string(sessionID.rawValue), "resumeToken": .string(resumeToken),
            "resumed": .bool(resumed), "lastSeq": JSONValue(lastSeq),
            "mode": .string(handover.map { $0.isTerminal ? "bot" : "handover" } ?? "bot"),
        ]
        if let handover, !handover.isTerminal { fields["handover"] = .object(handover.wireFields) }
        if ended { fields["ended"] = true }
        return JSONValue.object(fields).serialized
    }

    public static func ack(id: String, seq: Int) -> String {
        JSONValue.object(["type": "ack", "id": .string(id), "seq": JSONValue(seq)]).serialized
    }

    public static func event(_ event: SessionEvent) -> String { event.wire.serialized }

    public static func typing(from: Author, active: Bool) -> String {
        JSONValue.object(["type": "typing", "from": .string(from.rawValue), "active": .bool(active)]).serialized
    }

    public static func error(_ error: ChatProtocolError) -> String {
        ErrorFrame.text(code: error.code.rawValue, message: error.message, ref: error.ref)
    }
}
