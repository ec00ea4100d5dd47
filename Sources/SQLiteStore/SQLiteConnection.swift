import CSQLite
import RelayStore

// All unsafe code of SQLiteStore lives in this file: the connection and statement
// handles (OpaquePointer), and the byte buffers SQLite hands out for text columns.
// Handles are owned by exactly one object each and finalized/closed exactly once.

/// One SQLite connection with a cache of prepared statements. Single-threaded
/// (opened with SQLITE_OPEN_NOMUTEX): used only from the relay's service thread.
final class SQLiteConnection {
    /// nil once closed.
    private var db: OpaquePointer?
    private var cache: [String: SQLiteStatement] = [:]

    init(path: String) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            // Even on failure SQLite usually allocates a handle that carries the message; free it.
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StoreError(.backend, "cannot open \(path): \(message) (code \(rc))")
        }
        db = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    /// Finalizes every cached statement and closes the connection. Idempotent.
    func close() {
        for statement in cache.values { statement.finalize() }
        cache = [:]
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    var isOpen: Bool { db != nil }

    private func handle() throws(StoreError) -> OpaquePointer {
        guard let db else { throw StoreError(.closed, "the SQLite store is closed") }
        return db
    }

    /// The error for a failed call, with SQLite's message for this connection.
    func error(_ rc: Int32, _ context: String) -> StoreError {
        let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return StoreError(.backend, "\(context): \(detail) (code \(rc))")
    }

    /// Runs one or more SQL statements that return no rows of interest (schema, pragmas).
    func execute(_ sql: String) throws(StoreError) {
        let db = try handle()
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, "executing \(sql.prefix(60))") }
    }

    /// A prepared statement for `sql`, compiled once and reused (reset by the caller's `run`).
    func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = cache[sql] { return cached }
        let db = try handle()
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, "preparing \(sql.prefix(60))") }
        let statement = SQLiteStatement(raw, connection: self)
        cache[sql] = statement
        return statement
    }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    var changes: Int { db.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// The rowid of the last successful INSERT.
    var lastInsertRowID: Int64 { db.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// Whether a transaction is open (false in autocommit mode).
    var inTransaction: Bool { db.map { sqlite3_get_autocommit($0) == 0 } ?? false }
}

/// A prepared statement. Use it through `SQLiteConnection.statement` and `run`: bind,
/// step through rows, and it is reset for the next use even when an error is thrown.
final class SQLiteStatement {
    private var raw: OpaquePointer?
    private unowned let connection: SQLiteConnection

    fileprivate init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    fileprivate func finalize() {
        sqlite3_finalize(raw)
        raw = nil
    }

    /// Binds `values` to ?1, ?2, …, runs the statement and calls `row` for each result row.
    func run(_ values: [SQLiteValue] = [], row: (SQLiteRow) throws(StoreError) -> Void = { _ in }) throws(StoreError) {
        guard let raw else { throw StoreError(.closed, "the SQLite store is closed") }
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
        }
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .int(let n): rc = sqlite3_bind_int64(raw, index, n)
            case .null: rc = sqlite3_bind_null(raw, index)
            case .text(let s):
                // The String is bridged to a temporary C string valid during the call;
                // SQLITE_TRANSIENT makes SQLite copy it before returning.
                rc = sqlite3_bind_text(raw, index, s, Int32(s.utf8.count), csqlite_transient())
            case .utf8(let bytes):
                // Valid during the call only; SQLITE_TRANSIENT makes SQLite copy the bytes.
                rc = bytes.withUnsafeBufferPointer { b in
                    guard let base = b.baseAddress else { return sqlite3_bind_text(raw, index, "", 0, csqlite_transient()) }
                    return base.withMemoryRebound(to: CChar.self, capacity: b.count) {
                        sqlite3_bind_text(raw, index, $0, Int32(b.count), csqlite_transient())
                    }
                }
            }
            guard rc == SQLITE_OK else { throw connection.error(rc, "binding parameter \(index)") }
        }
        while true {
            let rc = sqlite3_step(raw)
            if rc == SQLITE_DONE { return }
            if rc == SQLITE_ROW {
                try row(SQLiteRow(raw: raw))
                continue
            }
            if rc == constraintUnique || rc == constraintPrimaryKey {
                throw StoreError(.duplicate, String(cString: sqlite3_errmsg(sqlite3_db_handle(raw))))
            }
            throw connection.error(rc, "running \(String(cString: sqlite3_sql(raw)).prefix(60))")
        }
    }
}

// Extended result codes (sqlite3.h defines them as macro expressions Swift does not import).
private let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)       // SQLITE_CONSTRAINT_UNIQUE
private let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)   // SQLITE_CONSTRAINT_PRIMARYKEY

/// A value to bind.
enum SQLiteValue {
    case int(Int64)
    case text(String)
    /// UTF-8 bytes stored as TEXT (JSON the caller serialized already).
    case utf8([UInt8])
    case null
}

/// The current row of a stepping statement; valid only inside the `run` row closure.
struct SQLiteRow {
    fileprivate let raw: OpaquePointer

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    /// The column's UTF-8 bytes. sqlite3_column_text's buffer is valid until the next
    /// step/reset, so it is copied here; the byte count comes from sqlite3_column_bytes,
    /// called after column_text as SQLite's documentation requires.
    func bytes(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_text(raw, column) else { return [] }
        let count = Int(sqlite3_column_bytes(raw, column))
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
