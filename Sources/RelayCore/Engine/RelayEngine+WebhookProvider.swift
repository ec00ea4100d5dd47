extension RelayEngine {
    /// The provider of the session that owns an 8x8 conversation, if the
    /// relay knows the conversation: its webhooks are checked with that
    /// provider's keys and tenant.
    public func providerName(forConversation conversationID: String) -> String? {
        guard let sid = sessionFor(conversation: conversationID) else { return nil }
        return sessions[sid]?.handover?.settings.provider
    }
}
