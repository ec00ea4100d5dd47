import RelayJSON

/// The user as the chat client describes them in `hello`.
public struct UserInfo: Equatable, Sendable {
    public var name: String?
    public var email: String?
    public var phone: String?
    public var company: String?
    public var language: String?
    public var userId: String?

    public init(name: String? = nil, email: String? = nil, phone: String? = nil, company: String? = nil,
                language: String? = nil, userId: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.company = company
        self.language = language
        self.userId = userId
    }
}

/// A frame sent by the end user's client on `handover.chat.v1`.
public enum ClientFrame: Equatable, Sendable {
    case hello(Hello)
    case message(id: String, text: String)
    case typing(active: Bool)
    case requestHandover
    case cancelHandover
    case end

    public struct Hello: Equatable, Sendable {
        public var user: UserInfo
        public var sessionID: SessionID?
        public var resumeToken: String?
        public var lastSeq: Int?

        public init(user: UserInfo = UserInfo(), sessionID: SessionID? = nil, resumeToken: String? = nil, lastSeq: Int? = nil) {
            self.user = user
            self.sessionID = sessionID
            self.resumeToken = resumeToken
            self.lastSeq = lastSeq
        }
    }
}

/// Field limits of the chat protocol.
public struct ChatLimits: Equatable, Sendable {
    public var maxTextLength = 4000
    public var maxClientIdLength = 128
    public var maxUserFieldLength = 256
    /// Sessions held (live or resumable); a `hello` that would start one more is refused (`server_full`, 1013).
    public var maxSessions = 100_000
    public init() {}
}

extension ClientFrame {
    /// Decodes one text frame, or says precisely what is wrong with it.
    public static func decode(_ text: String, limits: ChatLimits = ChatLimits()) throws(ChatProtocolError) -> ClientFrame {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw ChatProtocolError(.badJSON, "frame is not JSON: \(error)")
        }
        guard case .object = json else { throw ChatProtocolError(.badJSON, "frame must be a JSON object, got \(json.typeName)") }
        var reader = FieldReader(json: json)
        guard let type = try reader.string("type") else { throw ChatProtocolError(.badFrame, "missing field 'type'") }
        switch type {
        case "hello":
            return .hello(try decodeHello(json, limits: limits))
        case "message":
            let id = try reader.requiredString("id", maxLength: limits.maxClientIdLength)
            reader.ref = id
            let text = try reader.requiredString("text", maxLength: limits.maxTextLength)
            guard !text.allSatisfy(\.isWhitespace) else { throw ChatProtocolError(.badFrame, "'text' is empty", ref: id) }
            return .message(id: id, text: text)
        case "typing":
            guard let active = json["active"]?.boolValue else { throw ChatProtocolError(.badFrame, "'active' must be a boolean") }
            return .typing(active: active)
        case "request_handover": return .requestHandover
        case "cancel_handover": return .cancelHandover
        case "end": return .end
        default:
            throw ChatProtocolError(.unknownType, "unknown frame type '\(type.prefix(64))'")
        }
    }

    private static func decodeHello(_ json: JSONValue, limits: ChatLimits) throws(ChatProtocolError) -> Hello {
        var hello = Hello()
        if let user = json["user"], !user.isNull {
            guard case .object = user else { throw ChatProtocolError(.badFrame, "'user' must be an object") }
            let reader = FieldReader(json: user, prefix: "user.")
            let max = limits.maxUserFieldLength
            hello.user = UserInfo(
                name: try reader.string("name", maxLength: max), email: try reader.string("email", maxLength: max),
                phone: try reader.string("phone", maxLength: max), company: try reader.string("company", maxLength: max),
                language: try reader.string("language", maxLength: 16), userId: try reader.string("userId", maxLength: max))
        }
        let reader = FieldReader(json: json)
        hello.sessionID = try reader.string("sessionId", maxLength: 128).map(SessionID.init)
        hello.resumeToken = try reader.string("resumeToken", maxLength: 256)
        if let last = json["lastSeq"], !last.isNull {
            guard let seq = last.intValue, seq >= 0 else { throw ChatProtocolError(.badFrame, "'lastSeq' must be a non-negative integer") }
            hello.lastSeq = seq
        }
        return hello
    }
}

/// Reads typed optional fields from a JSON object with precise error messages.
struct FieldReader {
    let json: JSONValue
    var prefix = ""
    var ref: String?

    func string(_ key: String, maxLength: Int = .max) throws(ChatProtocolError) -> String? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let s = value.stringValue else {
            throw ChatProtocolError(.badFrame, "'\(prefix)\(key)' must be a string, got \(value.typeName)", ref: ref)
        }
        guard s.count <= maxLength else {
            throw ChatProtocolError(.badFrame, "'\(prefix)\(key)' is longer than \(maxLength) characters", ref: ref)
        }
        return s
    }

    func requiredString(_ key: String, maxLength: Int) throws(ChatProtocolError) -> String {
        guard let s = try string(key, maxLength: maxLength), !s.isEmpty else {
            throw ChatProtocolError(.badFrame, "missing field '\(prefix)\(key)'", ref: ref)
        }
        return s
    }
}
