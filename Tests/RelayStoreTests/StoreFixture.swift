import Foundation  // temporary directories only
import RelayJSON
import RelayStore
import SQLiteStore
import Testing

/// The backends the conformance suite runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite
    var testDescription: String { rawValue }
}

/// A store under test plus what is needed to "restart" it. For SQLite, `reopen` closes the
/// file and opens it again; InMemoryStore has no durability, so `reopen` keeps the instance
/// (the checks after it then hold trivially) and `fresh` makes a new one.
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
        }
    }

    deinit {
        (store as? SQLiteStore)?.close()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Simulates a restart on the same data.
    func reopen() throws {
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
