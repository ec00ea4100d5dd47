import RelayJSON

/// Frames of `handover.copilot.v1`, already in wire form.
public enum CopilotFrame {
    /// `handover` is the event that set the current state (its `seq`/`ts` place it in the transcript).
    public static func snapshot(pos: Int, sessionID: SessionID, user: JSONValue, layout: CopilotLayout, tiles: [CopilotTile],
                                transcript: [JSONValue], handover: SessionEvent?) -> String {
        JSONValue.object([
            "type": "snapshot", "pos": JSONValue(pos),
            "session": ["id": .string(sessionID.rawValue), "user": user],
            "layout": layout.json, "tiles": .array(tiles.map(\.json)), "transcript": .array(transcript),
            "handover": handover.flatMap(handoverFields) ?? .null,
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
    static func handover(pos: Int, _ event: SessionEvent) -> String {
        JSONValue.object(["type": "handover", "pos": JSONValue(pos), "handover": handoverFields(event) ?? .null]).serialized
    }

    static func handoverFields(_ event: SessionEvent) -> JSONValue? {
        guard case .handover(let state) = event.kind else { return nil }
        var fields = state.wireFields
        fields["seq"] = JSONValue(event.seq)
        fields["ts"] = JSONValue(event.ts)
        return .object(fields)
    }

    public static func error(code: String, message: String) -> String { ErrorFrame.text(code: code, message: message) }
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
    /// Empty when the client sent none (refused as `bad_token`, not as a malformed frame).
    public var token: String
    public var lastPos: Int?

    public static func decode(_ text: String) -> CopilotSubscribe? {
        guard let json = try? JSONValue.parse(text), json["type"] == "subscribe",
              let sid = json["sessionId"]?.stringValue, !sid.isEmpty, sid.count <= 128,
              json["token"].map({ $0.isNull || $0.stringValue != nil }) ?? true
        else { return nil }
        let token = json["token"]?.stringValue ?? ""
        guard token.count <= 4096 else { return nil }
        var lastPos: Int?
        if let value = json["lastPos"], !value.isNull {
            guard let n = value.intValue, n >= 0 else { return nil }
            lastPos = n
        }
        return CopilotSubscribe(sessionID: SessionID(sid), token: token, lastPos: lastPos)
    }
}
