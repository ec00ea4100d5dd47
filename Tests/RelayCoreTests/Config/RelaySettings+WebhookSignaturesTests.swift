import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsWebhookSignaturesTests {
    func provider(_ extra: [String: JSONValue]) -> JSONValue {
        var members: [String: JSONValue] = ["apiKey": "k", "baseUrl": "https://api.8x8.com"]
        for (key, value) in extra { members[key] = value }
        return ["providers": ["p": .object(members)], "handovers": ["default": ["provider": "p", "channelId": "c", "queueId": "q"]]]
    }

    @Test func requiredByDefault() throws {
        let settings = try RelaySettings.load(file: provider([:]), overrides: [:])
        #expect(settings.core.providers["p"]?.webhookSignatures == WebhookSignaturePolicy(mode: .required, maxAgeSeconds: 300))
        #expect(settings.webhookSignatureWarnings.isEmpty)
    }

    @Test func fileKeys() throws {
        let settings = try RelaySettings.load(file: provider(["webhookSignatures": "off", "webhookMaxAgeSeconds": 60,
                                                              "baseUrl": "http://127.0.0.1:9/sim"]), overrides: [:])
        #expect(settings.core.providers["p"]?.webhookSignatures.mode == .off)
        #expect(settings.core.providers["p"]?.webhookSignatures.maxAgeSeconds == 60)
        #expect(settings.webhookSignatureWarnings.isEmpty)  // a loopback simulator
    }

    @Test func offForARemoteProviderWarns() throws {
        let settings = try RelaySettings.load(file: provider(["webhookSignatures": "off"]), overrides: [:])
        #expect(settings.webhookSignatureWarnings.count == 1)
        #expect(settings.webhookSignatureWarnings.first?.contains("OFF for provider \"p\" (api.8x8.com)") == true)
    }

    @Test(arguments: [
        (["webhookSignatures": "maybe"] as [String: JSONValue], "providers.p.webhookSignatures", "must be \"required\" or \"off\", got \"maybe\""),
        (["webhookSignatures": false], "providers.p.webhookSignatures", "must be a string, got boolean"),
        (["webhookMaxAgeSeconds": 5], "providers.p.webhookMaxAgeSeconds", "must be between 10 and 86400, got 5"),
    ])
    func fileErrors(extra: [String: JSONValue], key: String, problem: String) {
        #expect(throws: ConfigError(key: key, problem: problem)) { try RelaySettings.load(file: provider(extra), overrides: [:]) }
    }

    @Test func overrideForTheSingleProviderForm() throws {
        let base = ["8x8-base-url": "http://localhost:9/sim", "8x8-api-key": "k", "8x8-channel-id": "c", "8x8-queue-id": "q"]
        let off = try RelaySettings.load(file: nil, overrides: base.merging(["8x8-webhook-signatures": "off"]) { $1 })
        #expect(off.core.providers["default"]?.webhookSignatures.mode == .off)
        let on = try RelaySettings.load(file: nil, overrides: base)
        #expect(on.core.providers["default"]?.webhookSignatures.mode == .required)
        #expect(RelaySettings.environmentName(for: "8x8-webhook-signatures") == "RELAY_8X8_WEBHOOK_SIGNATURES")
    }

    @Test func overrideErrors() {
        #expect(throws: ConfigError(key: "8x8-webhook-signatures", problem: "must be \"required\" or \"off\", got \"no\"")) {
            try RelaySettings.load(file: nil, overrides: ["8x8-webhook-signatures": "no", "8x8-api-key": "k"])
        }
        #expect(throws: ConfigError(key: "8x8-webhook-signatures", problem: "needs an 8x8 provider (--8x8-base-url and --8x8-api-key); the embedded simulator always signs")) {
            try RelaySettings.load(file: nil, overrides: ["8x8-webhook-signatures": "off"])
        }
    }

    @Test(arguments: [("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("::1", true), ("[::1]", true),
                      ("api.8x8.com", false), ("10.0.0.1", false), ("127.example.com", false), ("127.0.0.256", false)])
    func loopbackHosts(host: String, loopback: Bool) {
        #expect(RelaySettings.isLoopback(host) == loopback)
    }
}
