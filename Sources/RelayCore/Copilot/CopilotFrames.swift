import RelayJSON

/// Frames of `handover.copilot.v1`, already in wire form.
public enum CopilotFrame {
    public static func snapshot(pos: Int, sessionID: SessionID, user: JSONValue, layout: CopilotLayout, tiles: [CopilotTile],
                                transcript: [JSONValue], handover: HandoverState?) -> String {
        JSONValue.object([
            "type": "snapshot", "pos": JSONValue(pos),
            "session": ["id": .string(sessionID.rawValue), "user": user],
            "layout": layout.json, "tiles": .array(tiles.map(\.json)), "transcript": .array(transcript),
            "handover": handover.map { .object($0.wireFields) } ?? .null,
        ]).serialized
    }

    public static func resumed(pos: Int) -> String {
        JSONValue.object(["type": "resumed", "pos": JSONValue(pos)]).serialized
    }

    static func tile(pos: Int, _ tile: CopilotTile) -> String {
        JSONValue.object(["type": "tile", "pos": JSONValue(pos), "tile": tile.json]).serialized
    }

    static func tileRemoved(pos: Int, id: String) -> String {
        JSONValue.object(["type": "tile_removed", "pos": JSONValue(pos), "id": .string(id)]).serialized
    }

    static func transcript(pos: Int, message: JSONValue) -> String {
        JSONValue.object(["type": "transcript", "pos": JSONValue(pos), "message": message]).serialized
    }

    /// `seq`/`ts` place the change in the transcript (they are the chat event's).
    static func handover(pos: Int, _ state: HandoverState, seq: Int, ts: Int64) -> String {
        var fields = state.wireFields
        fields["seq"] = JSONValue(seq)
        fields["ts"] = JSONValue(ts)
        return JSONValue.object(["type": "handover", "pos": JSONValue(pos), "handover": .object(fields)]).serialized
    }

    public static func error(code: String, message: String) -> String {
        JSONValue.object(["type": "error", "code": .string(code), "message": .string(message)]).serialized
    }
}

/// Close codes of `handover.copilot.v1`.
public enum CopilotCloseCode {
    public static let badFrame: UInt16 = 4400
    public static let badToken: UInt16 = 4401
    public static let unknownSession: UInt16 = 4404
}

/// The one frame a copilot client sends.
public struct CopilotSubscribe: Equatable, Sendable {
    public var sessionID: SessionID
    public var token: String
    public var lastPos: Int?

    public static func decode(_ text: String) -> CopilotSubscribe? {
        guard let json = try? JSONValue.parse(text), json["type"] == "subscribe",
              let sid = json["sessionId"]?.stringValue, !sid.isEmpty, sid.count <= 128,
              let token = json["token"]?.stringValue, token.count <= 4096
        else { return nil }
        var lastPos: Int?
        if let value = json["lastPos"], !value.isNull {
            guard let n = value.intValue, n >= 0 else { return nil }
            lastPos = n
        }
        return CopilotSubscribe(sessionID: SessionID(sid), token: token, lastPos: lastPos)
    }
}
