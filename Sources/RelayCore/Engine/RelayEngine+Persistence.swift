import RelayStore

extension RelayEngine {
    /// Whether inputs since the last ``takeChanges()`` changed anything durable.
    public var hasChanges: Bool { !journal.isEmpty }

    /// Everything to write to the store for the inputs so far, in one
    /// transaction, before their effects are carried out.
    public mutating func takeChanges() -> StoreChanges {
        var changes = StoreChanges()
        guard !journal.isEmpty else { return changes }
        swap(&changes.events, &journal.events)
        swap(&changes.webhookIDs, &journal.webhookIDs)
        swap(&changes.conversations, &journal.conversations)
        changes.finished = journal.finished
        journal.finished.removeAll()
        for sid in journal.touched {
            guard let session = sessions[sid], journal.persisted[sid] != session.snapshotVersion else { continue }
            journal.persisted[sid] = session.snapshotVersion
            changes.snapshots.append(StoredSession(id: sid.rawValue, state: SessionSnapshot(session).json))
        }
        journal.clearTouched()
        return changes
    }

    /// Puts sessions saved before a restart back (with their logs), and sends
    /// the 8x8 calls that were pending. Call once, before any other input.
    /// - Parameter webhookIDs: webhook event ids already processed (still remembered by the store).
    public mutating func restore(_ restored: [(SessionSnapshot, [SessionEvent])], webhookIDs: [String], now: Int64) -> [RelayEffect] {
        for id in webhookIDs { _ = firstSighting(ofWebhookEvent: id) }
        let effects = adopt(restored, now: now)
        let pending = effects.count
        return effects + [.log(LogRecord(.notice, "restored sessions", [
            "sessions": String(restored.count), "resentCalls": String(pending),
            "withHuman": String(sessions.values.filter(\.isWithHuman).count),
        ]))]
    }

    /// Takes over saved sessions (at start, or from a relay node that died): puts
    /// them back with their logs and sends their pending 8x8 calls. A session
    /// this engine already holds is left as it is.
    public mutating func adopt(_ saved: [(SessionSnapshot, [SessionEvent])], now: Int64) -> [RelayEffect] {
        var adopted: [SessionID] = []
        for (snapshot, events) in saved {
            let session = snapshot.restored(events: events)
            guard sessions[session.id] == nil else { continue }
            sessions[session.id] = session
            adopted.append(session.id)
            journal.persisted[session.id] = session.snapshotVersion
            if let conversation = session.handover?.conversationID { register(conversation: conversation, for: session.id) }
        }
        var effects: [RelayEffect] = []
        for sid in adopted.sorted(by: { $0.rawValue < $1.rawValue }) where sessions[sid]!.outbox.head != nil {
            effects += pumpOutbox(sid, now: now)
        }
        return effects
    }
}
