import Testing
@testable import RelayCore

@Suite struct RelayCoreConfigTests {
    @Test func defaults() {
        let config = RelayCoreConfig()
        #expect(config.providers.isEmpty)
        #expect(config.handovers.isEmpty)
        #expect(config.defaultHandover == "default")
        #expect(config.publicURL.description == "http://localhost:8080/")
        #expect(config.copilotTokenTTLSeconds == 8 * 3600)
        #expect(config.retry == RetryPolicy())
        #expect(config.limits == ChatLimits())
        #expect(config.webhookDedupeCapacity == 100_000)
    }
}
