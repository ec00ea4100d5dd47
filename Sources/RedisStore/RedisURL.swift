import RelayStore

/// Where a Redis server is: `redis://[[user]:password@]host[:port][/db]`.
/// The password never appears in `description` (it is what errors and logs print).
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var db: Int
    /// Redis 6 ACL user; nil means the `default` user (plain `AUTH password`).
    public var username: String?
    public var password: String?

    public init(host: String, port: Int = 6379, db: Int = 0, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.db = db
        self.username = username
        self.password = password
    }

    /// Parses the URL; a malformed one is `.invalid`, and the message quotes it without its password.
    public init(parsing text: String) throws(StoreError) {
        let scheme = "redis://"
        guard text.hasPrefix(scheme) else { throw Self.bad(text, "must start with redis://") }
        var rest = Substring(text.dropFirst(scheme.count))
        var username: String?
        var password: String?
        // The last '@' ends the user info, so a password may itself contain '@'.
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                let user = info[..<colon]
                username = user.isEmpty ? nil : Self.percentDecoded(user)
                password = Self.percentDecoded(info[info.index(after: colon)...])
            } else if !info.isEmpty {
                username = Self.percentDecoded(info)
            }
        }
        var dbText: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            dbText = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var host = rest
        var portText: Substring = ""
        if rest.hasPrefix("[") {   // IPv6 literal: [::1]:6379
            guard let close = rest.firstIndex(of: "]") else { throw Self.bad(text, "unclosed [ in host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw Self.bad(text, "junk after ]") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { throw Self.bad(text, "no host") }
        var port = 6379
        if !portText.isEmpty {
            guard let p = Int(portText), (1...65535).contains(p) else { throw Self.bad(text, "port must be 1-65535") }
            port = p
        }
        var db = 0
        if !dbText.isEmpty {
            guard let d = Int(dbText), d >= 0 else { throw Self.bad(text, "database must be a number ≥ 0") }
            db = d
        }
        self.init(host: String(host), port: port, db: db, username: username, password: password)
    }

    public var description: String {
        let auth = password == nil ? (username.map { "\($0)@" } ?? "") : "\(username ?? ""):***@"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(auth)\(shownHost):\(port)/\(db)"
    }

    /// host:port, for error messages.
    var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func bad(_ text: String, _ why: String) -> StoreError {
        StoreError(.invalid, "invalid Redis URL '\(redacted(text))': \(why)")
    }

    /// The URL text with whatever is between "//…:" and "@" replaced, for messages.
    private static func redacted(_ text: String) -> String {
        guard text.hasPrefix("redis://"), let at = text.lastIndex(of: "@") else { return text }
        let start = text.index(text.startIndex, offsetBy: 8)
        guard start <= at, let colon = text[start..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }

    /// %XX escapes (so a password can contain ':', '/' or '@'); invalid escapes are kept as they are.
    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
