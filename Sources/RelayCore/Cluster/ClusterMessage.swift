import HTTPModel
import RelayCrypto
import RelayJSON

/// What relay nodes tell each other through their inboxes in the shared store.
///
/// Two conversations happen over it:
/// - **Proxied connections.** A WebSocket that lands on an *edge* node for a
///   session another node *owns* is relayed: the edge forwards what the client
///   does (`opened`, `frame`, `drained`, `closed`) and the owner sends back what
///   the client must get (`send`, `close`). The owner's engine sees an ordinary
///   connection; only the shell knows it is remote.
/// - **Forwarded HTTP.** A webhook or API request for a session another node owns
///   is handed to it (`request`) and its answer comes back (`response`).
///
/// Connection ids are the edge node's own (strings: JSON numbers are doubles).
public enum ClusterMessage: Equatable, Sendable {
    public enum Channel: String, Sendable { case chat, copilot }

    case opened(from: String, connection: UInt64, channel: Channel)
    case frame(from: String, connection: UInt64, text: String)
    case drained(from: String, connection: UInt64)
    case closed(from: String, connection: UInt64)
    case send(connection: UInt64, text: String)
    case close(connection: UInt64, code: UInt16, reason: String)
    case request(from: String, id: UInt64, HTTPRequest)
    case response(id: UInt64, HTTPResponse)

    public var encoded: [UInt8] {
        json.serializedBytes
    }

    var json: JSONValue {
        switch self {
        case .opened(let from, let connection, let channel):
            ["t": "opened", "from": .string(from), "conn": .string(String(connection)), "channel": .string(channel.rawValue)]
        case .frame(let from, let connection, let text):
            ["t": "frame", "from": .string(from), "conn": .string(String(connection)), "text": .string(text)]
        case .drained(let from, let connection):
            ["t": "drained", "from": .string(from), "conn": .string(String(connection))]
        case .closed(let from, let connection):
            ["t": "closed", "from": .string(from), "conn": .string(String(connection))]
        case .send(let connection, let text):
            ["t": "send", "conn": .string(String(connection)), "text": .string(text)]
        case .close(let connection, let code, let reason):
            ["t": "close", "conn": .string(String(connection)), "code": .number(Double(code)), "reason": .string(reason)]
        case .request(let from, let id, let request):
            ["t": "request", "from": .string(from), "id": .string(String(id)), "method": .string(request.method),
             "path": .string(request.path), "query": .object(request.query.mapValues(JSONValue.string)),
             "headers": .object(request.headers.mapValues(JSONValue.string)), "body": .string(Base64URL.encode(request.body))]
        case .response(let id, let response):
            ["t": "response", "id": .string(String(id)), "status": .number(Double(response.status)),
             "contentType": .string(response.contentType), "headers": .object(response.headers.mapValues(JSONValue.string)),
             "body": .string(Base64URL.encode(response.body))]
        }
    }

    /// Nil for anything malformed: inboxes are written only by relay nodes, so that is a
    /// version mismatch or a bug, which the shell logs and skips.
    public init?(decoding bytes: [UInt8]) {
        guard let json = try? JSONValue.parse(bytes: bytes), let type = json["t"]?.stringValue else { return nil }
        let from = json["from"]?.stringValue
        let connection = json["conn"]?.stringValue.flatMap { UInt64($0) }
        let id = json["id"]?.stringValue.flatMap { UInt64($0) }
        switch type {
        case "opened":
            guard let from, let connection, let channel = json["channel"]?.stringValue.flatMap(Channel.init(rawValue:)) else { return nil }
            self = .opened(from: from, connection: connection, channel: channel)
        case "frame":
            guard let from, let connection, let text = json["text"]?.stringValue else { return nil }
            self = .frame(from: from, connection: connection, text: text)
        case "drained":
            guard let from, let connection else { return nil }
            self = .drained(from: from, connection: connection)
        case "closed":
            guard let from, let connection else { return nil }
            self = .closed(from: from, connection: connection)
        case "send":
            guard let connection, let text = json["text"]?.stringValue else { return nil }
            self = .send(connection: connection, text: text)
        case "close":
            guard let connection, let code = json["code"]?.intValue, let reason = json["reason"]?.stringValue,
                  let code16 = UInt16(exactly: code) else { return nil }
            self = .close(connection: connection, code: code16, reason: reason)
        case "request":
            guard let from, let id, let method = json["method"]?.stringValue, let path = json["path"]?.stringValue,
                  let body = json["body"]?.stringValue.flatMap(Base64URL.decode) else { return nil }
            self = .request(from: from, id: id, HTTPRequest(method: method, path: path, query: Self.strings(json["query"]),
                                                             headers: Self.strings(json["headers"]), body: body))
        case "response":
            guard let id, let status = json["status"]?.intValue, let contentType = json["contentType"]?.stringValue,
                  let body = json["body"]?.stringValue.flatMap(Base64URL.decode) else { return nil }
            self = .response(id: id, HTTPResponse(status: status, contentType: contentType, headers: Self.strings(json["headers"]), body: body))
        default:
            return nil
        }
    }

    private static func strings(_ value: JSONValue?) -> [String: String] {
        (value?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}
