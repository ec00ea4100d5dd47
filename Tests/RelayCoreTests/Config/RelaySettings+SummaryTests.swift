import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct RelaySettingsSummaryTests {
    @Test func secretsAreShownAsSet() throws {
        let apiKey = "sk-live-abcdef0123456789"
        let webhookSecret = "hook-secret-0123456789"
        let token = "metrics-token-0123456789"
        let s = try RelaySettings.load(file: [
            "providers": ["default": ["apiKey": .string(apiKey), "baseUrl": "https://api.8x8.com", "tenant": "acme"]],
            "handovers": ["default": ["channelId": "chan", "queueId": "queue"]],
            "bot": ["type": "external", "url": "https://bot.example.com/turn", "headers": ["authorization": "Bearer bot-secret-xyz"]],
            "metrics": ["token": .string(token)],
            "stream": ["webhooks": [["name": "crm", "url": "https://crm.example.com/hook", "secret": .string(webhookSecret)]]],
        ], overrides: ["copilot-secret": "copilot-secret-0123456789"])
        let text = s.summary(simulator: false, tokenSecret: "configured (set)").joined(separator: "\n")
        for secret in [apiKey, webhookSecret, token, "bot-secret-xyz", "copilot-secret-0123456789", String(apiKey.suffix(4))] {
            #expect(!text.contains(secret), "summary shows \(secret)")
        }
        #expect(text.contains("provider default: https://api.8x8.com"))
        #expect(text.contains("apiKey (set)"))
        #expect(text.contains("handover default (default): provider default channel chan queue queue"))
        #expect(text.contains("authorization: (set)"))
        #expect(text.contains("bearer token (set)"))
    }

    @Test func simulatorModeSaysSo() throws {
        let s = try RelaySettings.load(file: nil, overrides: [:])
        let lines = s.summary(simulator: true, tokenSecret: "x")
        #expect(lines.contains { $0.contains("embedded simulator") })
        #expect(lines.contains { $0.contains("GET /metrics open") })
    }
}
