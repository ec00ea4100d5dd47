import RelayJSON

/// The operator's surface: log line format and access to `/metrics`.
public struct OpsSettings: Equatable, Sendable {
    public enum LogFormat: String, Sendable, CaseIterable {
        /// swift-log's human-readable lines (the default: a person at a terminal).
        case text
        /// One JSON object per line (journald, Loki, Elasticsearch…).
        case json
    }

    public var logFormat = LogFormat.text
    /// When set, `GET /metrics` needs `Authorization: Bearer <token>`. Never logged.
    public var metricsToken: String?

    public init() {}
}

extension RelaySettings {
    /// `logFormat` and the `metrics` section of the config file.
    mutating func applyOps(file r: ConfigReader) throws(ConfigError) {
        if let format = try r.string("logFormat") { ops.logFormat = try Self.logFormat(format, key: r.key("logFormat")) }
        guard let metrics = try r.object("metrics").map(JSONValue.object) else { return }
        let mr = ConfigReader(json: metrics, path: r.key("metrics."))
        try mr.reject(unknownKeysBesides: ["token"])
        if let token = try mr.string("token") { ops.metricsToken = try Self.metricsToken(token, key: mr.key("token")) }
    }

    /// `--log-format` / `RELAY_LOG_FORMAT` and `RELAY_METRICS_TOKEN`.
    mutating func applyOps(overrides o: [String: String]) throws(ConfigError) {
        if let format = o["log-format"] { ops.logFormat = try Self.logFormat(format, key: "log-format") }
        if let token = o["metrics-token"] { ops.metricsToken = try Self.metricsToken(token, key: "metrics-token") }
    }

    static func logFormat(_ text: String, key: String) throws(ConfigError) -> OpsSettings.LogFormat {
        guard let format = OpsSettings.LogFormat(rawValue: text) else {
            throw ConfigError(key: key, problem: "must be \"text\" or \"json\", got \"\(text.prefix(40))\"")
        }
        return format
    }

    /// A bearer token guessable in fewer tries than a secret is no protection.
    static func metricsToken(_ text: String, key: String) throws(ConfigError) -> String {
        guard text.utf8.count >= 16 else { throw ConfigError(key: key, problem: "must be at least 16 characters") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ConfigError(key: key, problem: "must be printable ASCII without spaces (it is sent in an HTTP header)")
        }
        return text
    }
}
