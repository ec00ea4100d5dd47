import RelayJSON

extension RelaySettings {
    /// `allowedOrigins`: the web origins whose pages may open the chat and
    /// copilot WebSockets. Empty (the default) allows any origin.
    mutating func applyAllowedOrigins(file json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "")
        guard let list = try r.stringArray("allowedOrigins") else { return }
        allowedOrigins = try list.enumerated().map { (index, text) throws(ConfigError) in
            try Self.origin(text, key: "allowedOrigins[\(index)]")
        }
    }

    /// `--allowed-origins` / `RELAY_ALLOWED_ORIGINS`: comma-separated; empty clears the list.
    mutating func applyAllowedOrigins(overrides o: [String: String]) throws(ConfigError) {
        guard let text = o["allowed-origins"] else { return }
        allowedOrigins = try text.split(separator: ",").map { (part) throws(ConfigError) in
            try Self.origin(String(String(part).trimmingWhitespace), key: "allowed-origins")
        }
    }

    /// The policy the shell applies to browser handshakes; the relay's own
    /// public origin is allowed whenever a list is set.
    public var originPolicy: OriginPolicy { OriginPolicy(allowed: allowedOrigins, own: core.publicURL) }

    static func origin(_ text: String, key: String) throws(ConfigError) -> String {
        guard let origin = OriginPolicy.canonical(text) else {
            throw ConfigError(key: key, problem: "must be an origin such as https://shop.example.com (scheme://host[:port], no path), got \"\(text)\"")
        }
        return origin
    }
}
