import RelayJSON

/// Which secrets a config file holds, by key, so the relay can warn when
/// the file is readable by other users (API keys belong in a file only its
/// owner reads, or in the environment).
public enum ConfigFileSecrets {
    public static func keys(in file: JSONValue) -> [String] {
        var keys: [String] = []
        for (name, provider) in file["providers"]?.objectValue?.sorted(by: { $0.key < $1.key }) ?? [] where provider["apiKey"] != nil {
            keys.append("providers.\(name).apiKey")
        }
        if file["copilot"]?["tokenSecret"] != nil { keys.append("copilot.tokenSecret") }
        if file["metrics"]?["token"] != nil { keys.append("metrics.token") }
        if let url = file["store"]?["redis"]?["url"]?.stringValue, url.contains("@") { keys.append("store.redis.url") }
        for (index, hook) in (file["stream"]?["webhooks"]?.arrayValue ?? []).enumerated() where hook["secret"] != nil {
            keys.append("stream.webhooks[\(index)].secret")
        }
        return keys
    }

    /// The warning for a file with `mode` holding `keys`, or nil when the mode is tight (0600 or stricter) or there is nothing secret.
    public static func warning(path: String, mode: Int, keys: [String]) -> String? {
        guard mode & 0o077 != 0, !keys.isEmpty else { return nil }
        return "config file '\(path)' holds secrets (\(keys.joined(separator: ", "))) but is readable by other users "
            + "(mode \(String(mode & 0o777, radix: 8))): chmod 600 it, or pass the secrets through the environment"
    }
}
