import HTTPModel
import RelayJSON

extension RelaySettings {
    /// The provider keys of this section: `providers.<name>.webhookSignatures`
    /// (`"required"`, the default, or `"off"`) and `webhookMaxAgeSeconds`.
    static let webhookSignatureKeys: Set<String> = ["webhookSignatures", "webhookMaxAgeSeconds"]

    /// Reads a provider's webhook signature policy (keys already allowed by the caller).
    static func webhookSignatures(_ r: ConfigReader) throws(ConfigError) -> WebhookSignaturePolicy {
        var policy = WebhookSignaturePolicy()
        if let mode = try r.string("webhookSignatures") {
            policy.mode = try Self.webhookSignatureMode(mode, key: r.key("webhookSignatures"))
        }
        policy.maxAgeSeconds = try r.int("webhookMaxAgeSeconds", in: 10...86_400) ?? policy.maxAgeSeconds
        return policy
    }

    /// `--8x8-webhook-signatures` / `RELAY_8X8_WEBHOOK_SIGNATURES`: the mode of the provider "default".
    mutating func applyWebhookSignaturesOverride(_ overrides: [String: String]) throws(ConfigError) {
        guard let text = overrides["8x8-webhook-signatures"] else { return }
        let mode = try Self.webhookSignatureMode(text, key: "8x8-webhook-signatures")
        guard core.providers["default"] != nil else {
            throw ConfigError(key: "8x8-webhook-signatures", problem: "needs an 8x8 provider (--8x8-base-url and --8x8-api-key); the embedded simulator always signs")
        }
        core.providers["default"]!.webhookSignatures.mode = mode
    }

    private static func webhookSignatureMode(_ text: String, key: String) throws(ConfigError) -> WebhookSignaturePolicy.Mode {
        guard let mode = WebhookSignaturePolicy.Mode(rawValue: text) else {
            throw ConfigError(key: key, problem: "must be \"required\" or \"off\", got \"\(text)\"")
        }
        return mode
    }

    /// Start-up warnings: verification switched off for a provider that is
    /// not on this machine, i.e. anyone who can reach the webhook route can
    /// impersonate 8x8 there.
    public var webhookSignatureWarnings: [String] {
        core.providers.values.sorted { $0.name < $1.name }.compactMap { provider in
            guard provider.webhookSignatures.mode == .off, !Self.isLoopback(provider.baseURL.host) else { return nil }
            return "webhook signatures are OFF for provider \"\(provider.name)\" (\(provider.baseURL.hostHeader)), which is not on this machine: anyone who can reach /webhooks/8x8 can forge 8x8 events. Use webhookSignatures \"off\" only for local simulators."
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        // 127.0.0.0/8, written as a dotted quad (not a name that merely starts with "127.").
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
