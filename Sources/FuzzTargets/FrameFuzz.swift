import RelayCore
import RelayJSON

/// `ClientFrame.decode` (handover.chat.v1): a frame or a `ChatProtocolError`,
/// never a field beyond its limit; then the engine takes the same text from a
/// client before and after hello.
enum ChatFrameFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        let text = input.lenientText
        let limits = ChatLimits()
        if case .message(let id, let body)? = try? ClientFrame.decode(text, limits: limits) {
            check.expect(!id.isEmpty && id.count <= limits.maxClientIdLength, "message id outside its limits")
            check.expect(body.count <= limits.maxTextLength, "message text longer than maxTextLength")
            check.expect(!body.allSatisfy(\.isWhitespace), "blank message text accepted")
        }
        var fixture = EngineFixture.prototype
        _ = fixture.engine.chatFrame(fixture.fresh, text: text, now: fixture.now)
        _ = fixture.engine.chatFrame(fixture.session, text: text, now: fixture.now)
    }
}

/// `CopilotSubscribe.decode` (handover.copilot.v1): nil or a subscribe that
/// re-encodes to itself; the engine answers any frame from a copilot client.
enum CopilotFrameFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        let text = input.lenientText
        if let subscribe = CopilotSubscribe.decode(text) {
            check.expect(subscribe.token.count <= 4096, "copilot token longer than 4096 accepted")
            var fields: [String: JSONValue] = ["type": "subscribe", "sessionId": .string(subscribe.sessionID.rawValue),
                                               "token": .string(subscribe.token)]
            if let pos = subscribe.lastPos { fields["lastPos"] = JSONValue(pos) }
            check.expect(CopilotSubscribe.decode(JSONValue.object(fields).serialized) == subscribe, "copilot subscribe round trip changed it")
        }
        var fixture = EngineFixture.prototype
        let copilot = ConnectionID(3)
        fixture.engine.copilotConnected(copilot)
        _ = fixture.engine.copilotFrame(copilot, text: text, now: fixture.now)
    }
}

/// `StreamSubscribe.decode` (handover.stream.v1): a subscribe or a
/// `DecodeError`; a decoded subscribe re-encodes to itself.
enum StreamFrameFuzz {
    static func run(_ input: [UInt8], _ check: inout FuzzCheck) {
        guard let subscribe = try? StreamSubscribe.decode(input.lenientText) else { return }
        let again = try? StreamSubscribe.decode(encode(subscribe).serialized)
        check.expect(again == subscribe, "stream subscribe round trip changed it")
    }

    static func encode(_ s: StreamSubscribe) -> JSONValue {
        var filter: [String: JSONValue] = [:]
        func list(_ key: String, _ values: Set<String>?) {
            if let values { filter[key] = .array(values.sorted().map(JSONValue.string)) }
        }
        list("sessions", s.filter.sessions)
        list("types", s.filter.types)
        list("providers", s.filter.providers)
        list("queues", s.filter.queues)
        let from: JSONValue = switch s.from {
        case .now: "now"
        case .after(let offset, let epoch): ["offset": JSONValue(offset), "epoch": JSONValue(epoch)]
        case .since(let ts): ["ts": JSONValue(ts)]
        }
        return ["type": "subscribe", "token": .string(s.token), "filter": .object(filter), "from": from]
    }
}
