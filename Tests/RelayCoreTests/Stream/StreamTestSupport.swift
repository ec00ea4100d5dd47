import HTTPModel
import RelayJSON
import RelayStore
import Testing
@testable import RelayCore

/// Shared fixtures for the stream, read API and persistence tests.

/// A signed integrator token (the hub and `testConfig()` both use `devSecret`).
func streamToken(_ subject: String = "acme", scopes: [String] = [IntegratorToken.streamScope], sessions: [String]? = nil,
                     providers: [String]? = nil, types: [String]? = nil, expiresAt: Int64 = t0 / 1000 + 3600,
                     secret: [UInt8] = devSecret) -> String {
    IntegratorToken(subject: subject, scopes: scopes, sessions: sessions, providers: providers, types: types, expiresAt: expiresAt)
        .sign(secret: secret)
}

/// A log entry as the engine writes it: a message event of `session`, with the provider/queue of its handover if given.
func messageEntry(_ session: String, seq: Int, ts: Int64 = t0, text: String = "hello", from: Author = .user,
                  provider: String? = nil, queue: String = "q") -> NewEvent {
    let event = SessionEvent(seq: seq, ts: ts, kind: .message(.init(from: from, text: text)))
    let settings = provider.map { HandoverSettings(provider: $0, channelID: "c", queueID: queue) }
    return NewEvent(sessionID: session, seq: seq, ts: ts, kind: event.typeName, payload: LogPayload.make(event, handover: settings))
}

/// A handover event of `session` as the engine logs it.
func handoverEntry(_ session: String, seq: Int, ts: Int64 = t0, state: HandoverState = .requested(queueID: "q"),
                   provider: String = "default", queue: String = "q") -> NewEvent {
    let event = SessionEvent(seq: seq, ts: ts, kind: .handover(state))
    return NewEvent(sessionID: session, seq: seq, ts: ts, kind: event.typeName,
                    payload: LogPayload.make(event, handover: HandoverSettings(provider: provider, channelID: "c", queueID: queue)))
}

extension EventStore {
    /// Appends and returns the events as stored (what the shell hands to `StreamHub.committed`).
    @discardableResult
    func add(_ events: [NewEvent]) throws -> [StoredEvent] {
        let offsets = try append(events)
        return zip(offsets, events).map { StoredEvent(offset: $0, $1) }
    }

    /// Everything in the log, in offset order.
    func everything() throws -> [StoredEvent] { try events(after: 0, limit: .max) }
}

/// Writes one `takeChanges()` to `store` the way `RelayHost.flush` does (one transaction);
/// returns the events as stored.
@discardableResult
func persist(_ changes: StoreChanges, to store: some EventStore, now: Int64 = t0) throws -> [StoredEvent] {
    try store.transaction { () throws(StoreError) -> [StoredEvent] in
        let offsets = try store.append(changes.events)
        for snapshot in changes.snapshots { try store.putSession(id: snapshot.id, state: snapshot.state) }
        for sid in changes.finished { try store.removeSession(id: sid.rawValue) }
        for id in changes.webhookIDs { _ = try store.rememberKey("8x8:" + id, now: now, expiresAt: now + 86_400_000) }
        return zip(offsets, changes.events).map { StoredEvent(offset: $0, $1) }
    }
}

/// What `RelayHost.restoreFromStore` hands to `RelayEngine.restore`: decoded snapshots with their logs, and the webhook ids.
func savedState(_ store: some EventStore, now: Int64 = t0) throws -> (sessions: [(SessionSnapshot, [SessionEvent])], webhookIDs: [String]) {
    var restored: [(SessionSnapshot, [SessionEvent])] = []
    for saved in try store.allSessions() {
        let snapshot = try SessionSnapshot(json: saved.state)
        let stored = try store.events(session: saved.id, afterSeq: 0, limit: .max)
        let events = stored.compactMap { LogPayload.event($0.payload).flatMap(SessionEvent.init(wire:)) }
        #expect(events.count == stored.count, "every logged event of \(saved.id) reads back")
        restored.append((snapshot, events))
    }
    let ids = try store.liveKeys(now: now).compactMap { $0.hasPrefix("8x8:") ? String($0.dropFirst(4)) : nil }
    return (restored, ids)
}

extension EngineHarness {
    /// Takes the engine's changes and commits them to `store`, as the shell does at the end of a turn.
    @discardableResult
    mutating func commit(to store: some EventStore) throws -> [StoredEvent] {
        try persist(engine.takeChanges(), to: store, now: now)
    }
}

/// A store whose every call fails while `failing` is set (for the `store_unavailable` paths).
final class FlakyStore: EventStore {
    let inner: InMemoryStore
    var failing = false

    init(epoch: String = "e1") { inner = InMemoryStore(epoch: epoch) }

    var epoch: String { inner.epoch }

    private func check() throws(StoreError) {
        if failing { throw StoreError(.backend, "disk on fire") }
    }

    func append(_ events: [NewEvent]) throws(StoreError) -> [Int64] { try check(); return try inner.append(events) }
    func events(after offset: Int64, limit: Int) throws(StoreError) -> [StoredEvent] {
        try check(); return try inner.events(after: offset, limit: limit)
    }
    func events(session: String, afterSeq: Int, limit: Int) throws(StoreError) -> [StoredEvent] {
        try check(); return try inner.events(session: session, afterSeq: afterSeq, limit: limit)
    }
    func lastOffset() throws(StoreError) -> Int64 { try check(); return try inner.lastOffset() }
    func firstOffset() throws(StoreError) -> Int64? { try check(); return try inner.firstOffset() }
    func firstOffset(since ts: Int64) throws(StoreError) -> Int64? { try check(); return try inner.firstOffset(since: ts) }
    func prunedThrough() throws(StoreError) -> Int64 { try check(); return try inner.prunedThrough() }
    func prune(olderThan ts: Int64?, maxEvents: Int?) throws(StoreError) -> Int {
        try check(); return try inner.prune(olderThan: ts, maxEvents: maxEvents)
    }
    func putSession(id: String, state: JSONValue) throws(StoreError) { try check(); try inner.putSession(id: id, state: state) }
    func removeSession(id: String) throws(StoreError) { try check(); try inner.removeSession(id: id) }
    func allSessions() throws(StoreError) -> [StoredSession] { try check(); return try inner.allSessions() }
    func rememberKey(_ key: String, now: Int64, expiresAt: Int64) throws(StoreError) -> Bool {
        try check(); return try inner.rememberKey(key, now: now, expiresAt: expiresAt)
    }
    func liveKeys(now: Int64) throws(StoreError) -> [String] { try check(); return try inner.liveKeys(now: now) }
    func forgetExpiredKeys(now: Int64) throws(StoreError) -> Int { try check(); return try inner.forgetExpiredKeys(now: now) }
    func cursor(_ name: String) throws(StoreError) -> Int64? { try check(); return try inner.cursor(name) }
    func setCursor(_ name: String, to offset: Int64) throws(StoreError) { try check(); try inner.setCursor(name, to: offset) }
    func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R { try check(); return try inner.transaction(body) }
}
