import RelayJSON

extension RelaySettings {
    static let limitKeys: Set<String> = [
        "maxTextLength", "maxSessions", "maxMessageBytes", "maxRequestBodyBytes", "maxQueuedBytesPerConnection",
        "messagesPerSecond", "messageBurst", "maxConnectionsPerAddress", "pingAfterSeconds", "idleTimeoutSeconds",
    ]

    /// The `limits` section: what one client may ask of the relay. Each limit
    /// has its refusal documented in docs/PROTOCOL.md.
    mutating func applyLimits(_ json: JSONValue) throws(ConfigError) {
        let r = ConfigReader(json: json, path: "limits.")
        try r.reject(unknownKeysBesides: Self.limitKeys)
        core.limits.maxTextLength = try r.int("maxTextLength", in: 1...100_000) ?? core.limits.maxTextLength
        core.limits.maxSessions = try r.int("maxSessions", in: 1...10_000_000) ?? core.limits.maxSessions
        limits.maxMessageBytes = try r.int("maxMessageBytes", in: 1024...(16 << 20)) ?? limits.maxMessageBytes
        limits.maxRequestBodyBytes = try r.int("maxRequestBodyBytes", in: 1024...(64 << 20)) ?? limits.maxRequestBodyBytes
        limits.maxQueuedBytesPerConnection = try r.int("maxQueuedBytesPerConnection", in: 65_536...(1 << 30))
            ?? limits.maxQueuedBytesPerConnection
        limits.messagesPerSecond = try r.int("messagesPerSecond", in: 0...100_000) ?? limits.messagesPerSecond
        limits.messageBurst = try r.int("messageBurst", in: 1...1_000_000) ?? limits.messageBurst
        limits.maxConnectionsPerAddress = try r.int("maxConnectionsPerAddress", in: 0...10_000_000) ?? limits.maxConnectionsPerAddress
        if let ping = try r.int("pingAfterSeconds", in: 1...86_400) { limits.pingAfterMs = ping * 1000 }
        if let idle = try r.int("idleTimeoutSeconds", in: 2...86_400) { limits.idleTimeoutMs = idle * 1000 }
        guard limits.idleTimeoutMs > limits.pingAfterMs else {
            throw ConfigError(key: "limits.idleTimeoutSeconds",
                              problem: "must be longer than limits.pingAfterSeconds (\(limits.pingAfterMs / 1000)), so a live peer can answer the ping")
        }
    }
}
