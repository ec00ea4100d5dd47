import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// `StoreChanges` on its own: emptiness and dropping the sessions a shared store fenced.
@Suite struct StoreChangesTests {
    func changes() -> StoreChanges {
        var changes = StoreChanges()
        changes.events = [messageEntry("a", seq: 1), messageEntry("b", seq: 1), messageEntry("a", seq: 2), messageEntry("c", seq: 4)]
        changes.snapshots = [StoredSession(id: "a", state: ["v": 1]), StoredSession(id: "b", state: ["v": 2])]
        changes.finished = [SessionID("c"), SessionID("a")]
        changes.webhookIDs = ["evt-1", "evt-2"]
        changes.conversations = [ConversationLink(conversationID: "X", sessionID: "a"), ConversationLink(conversationID: "Y", sessionID: "b")]
        return changes
    }

    @Test func isEmptyOnlyWhenEveryPartIs() {
        #expect(StoreChanges().isEmpty)
        var onlyConversations = StoreChanges()
        onlyConversations.conversations = [ConversationLink(conversationID: "X", sessionID: "s1")]
        #expect(!onlyConversations.isEmpty)
        var onlyWebhooks = StoreChanges()
        onlyWebhooks.webhookIDs = ["evt"]
        #expect(!onlyWebhooks.isEmpty)
        #expect(!changes().isEmpty)
    }

    @Test func dropTakesOutEverythingOfTheSessionsAndKeepsTheRest() {
        var changes = changes()
        changes.drop(sessions: ["a"])
        #expect(changes.events == [messageEntry("b", seq: 1), messageEntry("c", seq: 4)])
        #expect(changes.snapshots == [StoredSession(id: "b", state: ["v": 2])])
        #expect(changes.finished == [SessionID("c")])
        #expect(changes.conversations == [ConversationLink(conversationID: "Y", sessionID: "b")])
        #expect(changes.webhookIDs == ["evt-1", "evt-2"], "webhook ids belong to no session: kept")
    }

    @Test func droppingSeveralOrUnknownSessions() {
        var changes = changes()
        changes.drop(sessions: [])
        #expect(changes == self.changes())
        changes.drop(sessions: ["zzz"])
        #expect(changes == self.changes())
        changes.drop(sessions: ["a", "b", "c"])
        #expect(changes.events.isEmpty)
        #expect(changes.snapshots.isEmpty)
        #expect(changes.finished.isEmpty)
        #expect(changes.conversations.isEmpty)
        #expect(!changes.isEmpty, "the webhook ids remain")
        changes.webhookIDs = []
        #expect(changes.isEmpty)
    }
}
