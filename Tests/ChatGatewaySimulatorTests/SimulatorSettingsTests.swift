import HTTPModel
import Testing
@testable import ChatGatewaySimulator

@Suite struct SimulatorSettingsTests {
    @Test func defaultsCoverEverythingButKeyAndWebhook() {
        let settings = SimulatorSettings(apiKey: "k", webhookURL: testWebhookURL)
        #expect(settings.pathPrefix == "/sim")
        #expect(settings.tenant == nil)
        #expect(settings.channels == ["demo-channel"])
        #expect(settings.queues == [SimulatedQueue(id: "support", name: "Support"), SimulatedQueue(id: "billing", name: "Billing")])
        #expect(settings.webhookMaxAttempts == 10)
        #expect(!settings.tenantId.isEmpty && !settings.customerId.isEmpty)
    }

    @Test(arguments: [("/sim", "/sim"), ("/sim/", "/sim"), ("sim", "/sim"), ("/", ""), ("", ""), ("/a/b//", "/a/b")])
    func prefixIsNormalized(input: String, expected: String) {
        var settings = makeSettings()
        settings.pathPrefix = input
        #expect(settings.normalizedPrefix == expected)
    }

    @Test func retryDelaysDoubleAndCapAtFiveSeconds() {
        let settings = makeSettings()
        let delays = (1...10).map { settings.retryDelayMs(afterFailedAttempts: $0) }
        #expect(delays == [200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000])
        #expect(settings.retryDelayMs(afterFailedAttempts: Int.max) == 5000)
        #expect(settings.retryDelayMs(afterFailedAttempts: 0) == 200)
    }

    @Test func retryDelayToleratesOddSettings() {
        var settings = makeSettings()
        settings.webhookRetryBaseMs = -5
        settings.webhookRetryMaxMs = -1
        #expect(settings.retryDelayMs(afterFailedAttempts: 3) == 0)
        settings.webhookRetryBaseMs = Int.max
        settings.webhookRetryMaxMs = Int.max
        #expect(settings.retryDelayMs(afterFailedAttempts: 64) == Int.max)
    }

    @Test func queueLookup() {
        let settings = makeSettings()
        #expect(settings.queue("billing")?.name == "Billing")
        #expect(settings.queue("nope") == nil)
    }
}
