import HTTPModel
import Testing
@testable import ChatGatewaySimulator

@Suite struct SimulatorEffectTests {
    @Test func accessorsExposePayloads() {
        let request = OutboundRequest(method: "POST", url: testWebhookURL, body: [1])
        let deliver = SimulatorEffect.deliverWebhook(deliveryId: 3, request)
        #expect(deliver.webhookRequest == request)
        #expect(deliver.deliveryId == 3)
        #expect(deliver.consoleText == nil)
        #expect(SimulatorEffect.pushToConsole(consoleId: 1, text: "a").consoleText == "a")
        #expect(SimulatorEffect.pushToAllConsoles(text: "b").consoleText == "b")
        #expect(SimulatorEffect.schedule(timerId: 1, afterMs: 5).webhookRequest == nil)
        #expect(SimulatorEffect.schedule(timerId: 1, afterMs: 5).deliveryId == nil)
    }

    @Test func outputDefaultsToNoEffects() {
        let output = SimulatorOutput(response: .noContent())
        #expect(output.effects.isEmpty)
        #expect(output.response.status == 204)
    }
}
