import Foundation  // temporary directories only
import RelayJSON
import RedisStore
import RelayStore
import SQLiteStore
import Testing

/// The backends the conformance suite runs against. Redis only when RELAY_TEST_REDIS_URL
/// names a server (`make unit` starts one); RedisStoreTests shows as skipped, with the
/// reason, when it does not.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, redis
    var testDescription: String { rawValue }

    static var allCases: [Backend] { RedisTestServer.url == nil ? [.memory, .sqlite] : [.memory, .sqlite, .redis] }
}

/// The Redis server the tests may use, from the environment.
enum RedisTestServer {
    static let url: String? = ProcessInfo.processInfo.environment["RELAY_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment = "RELAY_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6390/0); `make unit` starts a throwaway redis-server and sets it"

    /// A key prefix no other test case uses, so cases can run in parallel on one server.
    static func uniquePrefix() -> String { "test-\(UUID().uuidString.lowercased())" }
}

/// A store under test plus what is needed to "restart" it. For SQLite, `reopen` closes the
/// file and opens it again; for Redis it reconnects to the same key prefix (each fixture
/// has its own and deletes its keys at the end). InMemoryStore has no durability, so
/// `reopen` keeps the instance (the checks after it then hold trivially) and `fresh` makes a new one.
final class StoreFixture {
    let backend: Backend
    private let directory: URL?
    private(set) var store: any EventStore

    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .memory:
            directory = nil
            store = InMemoryStore()
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("relaystore-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            directory = dir
            store = try SQLiteStore(path: dir.appendingPathComponent(SQLiteStore.defaultFileName).path)
        case .redis:
            directory = nil
            guard let url = RedisTestServer.url else { throw StoreError(.invalid, "RELAY_TEST_REDIS_URL is not set") }
            store = try RedisStore(url: url, options: .init(prefix: RedisTestServer.uniquePrefix()))
        }
    }

    deinit {
        (store as? SQLiteStore)?.close()
        if let redis = store as? RedisStore {
            try? redis.deleteAllData()
            redis.close()
        }
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Simulates a restart on the same data.
    func reopen() throws {
        if let redis = store as? RedisStore {
            redis.close()
            store = try RedisStore(url: redis.url, options: redis.options)
            return
        }
        guard let sqlite = store as? SQLiteStore else { return }
        let path = sqlite.path
        sqlite.close()
        store = try SQLiteStore(path: path)
    }

    /// Simulates losing the data: a new, empty store (new file / new instance).
    func fresh() throws {
        switch backend {
        case .memory:
            store = InMemoryStore()
        case .sqlite:
            let sqlite = store as! SQLiteStore
            sqlite.close()
            let path = sqlite.path
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            store = try SQLiteStore(path: path)
        case .redis:
            let redis = store as! RedisStore
            try redis.deleteAllData()
            redis.close()
            store = try RedisStore(url: redis.url, options: redis.options)
        }
    }
}

func event(_ session: String, _ seq: Int, ts: Int64 = 1_000, kind: String = "message", text: String = "hi") -> NewEvent {
    NewEvent(sessionID: session, seq: seq, ts: ts, kind: kind, payload: ["text": .string(text), "seq": .number(Double(seq))])
}

/// The code of the StoreError `body` throws, nil if it does not throw.
func errorCode(_ body: () throws(StoreError) -> Void) -> StoreError.Code? {
    do { try body() } catch { return error.code }
    return nil
}
