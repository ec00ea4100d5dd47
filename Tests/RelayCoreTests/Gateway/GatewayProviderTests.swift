import HTTPModel
import RelayJSON
import Testing
@testable import RelayCore

@Suite struct GatewayProviderTests {
    @Test func providerDefaults() {
        let p = GatewayProvider(name: "eu", baseURL: HTTPURL("https://api.8x8.com")!, apiKey: "k")
        #expect(p.tenant == nil)
        #expect(p.timeoutMs == 10_000)
        #expect(HandoverSettings(provider: "eu", channelID: "c", queueID: "q").properties == [:])
    }

    @Test func emptyRequestKeepsTheBase() {
        let base = HandoverSettings(provider: "p", channelID: "c", queueID: "q", properties: ["a": 1])
        #expect(HandoverRequest().resolved(on: base) == base)
    }

    @Test func requestOverridesAndMergesProperties() {
        let base = HandoverSettings(provider: "p", channelID: "c", queueID: "q",
                                    properties: ["user": ["additionalProperties": [["key": "a", "value": "1"]]], "keep": true])
        let request = HandoverRequest(settingsName: "other", provider: "p2", channelID: "c2", queueID: "q2",
                                      properties: ["user": ["additionalProperties": [["key": "b", "value": "2"]]], "keep": false])
        #expect(request.resolved(on: base) == HandoverSettings(
            provider: "p2", channelID: "c2", queueID: "q2",
            properties: ["user": ["additionalProperties": [["key": "a", "value": "1"], ["key": "b", "value": "2"]]], "keep": false]))
    }
}
