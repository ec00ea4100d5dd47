import RelayJSON
import Testing
@testable import RelayCore

@Suite struct HandoverStateTests {
    @Test(arguments: [
        (HandoverState.requested(queueID: "q"), "requested", false, ["state": "requested", "queueId": "q"] as JSONValue),
        (.queued(queueID: "q", queueName: "Support"), "queued", false, ["state": "queued", "queueId": "q", "queueName": "Support"]),
        (.queued(queueID: "q", queueName: nil), "queued", false, ["state": "queued", "queueId": "q", "queueName": nil]),
        (.active(agentID: "ag1"), "active", false, ["state": "active", "agentId": "ag1"]),
        (.transferred, "transferred", false, ["state": "transferred"]),
        (.ended(by: .agent), "ended", true, ["state": "ended", "by": "agent"]),
        (.ended(by: .user), "ended", true, ["state": "ended", "by": "user"]),
        (.cancelled, "cancelled", true, ["state": "cancelled"]),
        (.failed(reason: "nope"), "failed", true, ["state": "failed", "reason": "nope"]),
    ] as [(HandoverState, String, Bool, JSONValue)])
    func nameTerminalityAndWireFields(state: HandoverState, name: String, terminal: Bool, wire: JSONValue) {
        #expect(state.name == name)
        #expect(state.isTerminal == terminal)
        #expect(JSONValue.object(state.wireFields) == wire)
    }
}
