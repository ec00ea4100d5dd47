import RelayJSON

/// `{"type":"error","code","message","ref"?}`: the error frame of every
/// WebSocket protocol the relay speaks (chat, copilot, stream), built in one place.
enum ErrorFrame {
    static func text(code: String, message: String, ref: String? = nil) -> String {
        var fields: [String: JSONValue] = ["type": "error", "code": .string(code), "message": .string(message)]
        if let ref { fields["ref"] = .string(ref) }
        return JSONValue.object(fields).serialized
    }
}
