import Foundation  // temporary directories only
import RelayJSON
import RelayStore
import SQLiteStore
import Testing

/// What only the SQLite backend has: files, options, closing.
@Suite struct SQLiteStoreTests {
    @Test func openingInAMissingDirectoryFails() {
        let code = errorCode { () throws(StoreError) in _ = try SQLiteStore(path: "/nonexistent-\(UUID().uuidString)/relay.sqlite3") }
        #expect(code == .backend)
    }

    @Test func aClosedStoreRefusesCalls() throws {
        let f = try StoreFixture(.sqlite)
        let store = f.store as! SQLiteStore
        store.close()
        #expect(errorCode { () throws(StoreError) in try store.append([event("a", 1)]) } == .closed)
        #expect(errorCode { () throws(StoreError) in _ = try store.lastOffset() } == .closed)
    }

    @Test func fullSynchronousModeWorksTheSame() throws {
        let f = try StoreFixture(.sqlite)
        let path = (f.store as! SQLiteStore).path
        (f.store as! SQLiteStore).close()
        let store = try SQLiteStore(path: path, options: .init(synchronous: .full))
        defer { store.close() }
        #expect(try store.append([event("a", 1), event("a", 2)]) == [1, 2])
        #expect(try store.events(session: "a", afterSeq: 1, limit: 5).map(\.offset) == [2])
    }

    @Test func walFilesAreUsed() throws {
        let f = try StoreFixture(.sqlite)
        let path = (f.store as! SQLiteStore).path
        try f.store.append([event("a", 1)])
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }
}

extension SQLiteStoreTests {
    @Test func aSecondOpenOfTheSameFileIsRefusedWhileLocked() throws {
        let f = try StoreFixture(.sqlite)
        let path = (f.store as! SQLiteStore).path
        try f.store.append([event("a", 1)])
        let code = errorCode { () throws(StoreError) in _ = try SQLiteStore(path: path, options: .init(busyTimeoutMs: 0)) }
        #expect(code == .backend)
        // The holder is unaffected.
        #expect(try f.store.append([event("a", 2)]) == [2])
    }
}
