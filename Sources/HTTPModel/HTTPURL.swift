/// An absolute http(s) URL split into what a client connect needs.
public struct HTTPURL: Sendable, Hashable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Path and query, always starting with "/".
    public var path: String

    public init(secure: Bool, host: String, port: Int, path: String) {
        self.secure = secure
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// Parses `http://host[:port][/path]` or `https://…`. Returns nil for
    /// anything else (other schemes, user-info, empty host, bad port).
    public init?(_ text: String) {
        let secure: Bool
        var rest: Substring
        if text.lowercased().hasPrefix("https://") {
            secure = true
            rest = text.dropFirst(8)
        } else if text.lowercased().hasPrefix("http://") {
            secure = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port = secure ? 443 : 80
        if host.hasPrefix("[") {  // IPv6 literal
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            } else if !after.isEmpty {
                return nil
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = host[..<colon]
        }
        // A name or IPv4 address has no ':' '[' ']' (RFC 3986 §3.2.2), an IPv6 literal no '[':
        // "http://a]b:c]:1" would otherwise be host "a]b:c]", printed as "[a]b:c]" (found by fuzzing).
        let bracketed = authority.hasPrefix("[")
        guard !host.isEmpty, !host.contains("["), bracketed || !host.contains(where: { $0 == ":" || $0 == "]" }) else { return nil }
        self.init(secure: secure, host: String(host), port: port, path: rest.isEmpty ? "/" : String(rest))
    }

    /// Appends a path to this URL's path ("https://h/base" + "/x" → "https://h/base/x").
    public func appending(path suffix: String) -> HTTPURL {
        var base = path
        while base.hasSuffix("/") { base.removeLast() }
        let tail = suffix.hasPrefix("/") ? suffix : "/" + suffix
        return HTTPURL(secure: secure, host: host, port: port, path: base + tail)
    }

    /// The `Host` header value (port omitted when it is the scheme's default).
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        let defaultPort = secure ? 443 : 80
        return port == defaultPort ? h : "\(h):\(port)"
    }

    public var description: String { (secure ? "https://" : "http://") + hostHeader + path }
}
