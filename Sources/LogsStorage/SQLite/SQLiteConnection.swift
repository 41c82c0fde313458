internal import CSQLite
import Foundation
import LogsCore

/// One SQLite connection, owned by an actor that runs on its own thread.
///
/// SQLite blocks while it reads the file or waits for another connection's lock (up to the busy
/// timeout), so every call runs on this actor's `ThreadExecutor` and never on Swift's cooperative
/// pool. Code that runs several statements passes a closure that takes the connection as
/// `isolated`, so the statements run back to back on the connection's thread with one hop.
/// Prepared statements are cached by name for the life of the connection.
public actor SQLiteConnection {
    private let executor: ThreadExecutor
    private var database: SQLiteHandle?
    private var isInTransaction = false

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Opens the database file, creating it when missing, in WAL mode.
    ///
    /// - Parameters:
    ///   - path: the database file; its folder must exist.
    ///   - busyTimeout: how long a statement waits for another connection's lock before it
    ///     fails with `.busy`.
    /// - Throws: `SQLiteError` with code `.openFailed` and SQLite's message.
    public init(path: String, busyTimeout: Duration) async throws {
        executor = ThreadExecutor(name: "sqlite")
        try openFile(path: path, busyTimeout: busyTimeout)
    }

    deinit {
        executor.shutdown()
    }

    private var handle: OpaquePointer? {
        database?.pointer
    }

    private func openFile(path: String, busyTimeout: Duration) throws {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &connection, flags, nil)
        guard status == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(connection)
            throw SQLiteError(.openFailed, "could not open \(path): \(message)", resultCode: status)
        }
        assert(executor.isCurrent, "the connection opens on its own thread")
        database = SQLiteHandle(pointer: connection)
        sqlite3_extended_result_codes(connection, 1)
        let (seconds, attoseconds) = busyTimeout.components
        sqlite3_busy_timeout(connection, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        do {
            try configure()
        } catch {
            close()
            throw SQLiteError(.openFailed, "could not configure \(path): \(error)")
        }
    }

    /// Turns on WAL, so readers do not wait for the writer, and `synchronous = NORMAL`.
    ///
    /// In WAL mode with `NORMAL`, a committed transaction survives the process dying, but the last
    /// ones may roll back after a power loss or an operating system crash (SQLite's documentation
    /// of `PRAGMA synchronous`).
    private func configure() throws {
        let mode = try query(SQLiteStatement(name: "journal_mode", sql: "PRAGMA journal_mode = WAL"))
        guard try mode.first?.text("journal_mode")?.lowercased() == "wal" else {
            throw SQLiteError(.openFailed, "the file system does not support WAL mode")
        }
        try execute("PRAGMA synchronous = NORMAL", name: "synchronous")
    }

    /// Closes the connection and stops its thread; later calls fail with `.closed`.
    public func close() {
        database?.close()
        database = nil
        executor.shutdown()
    }

    /// Runs `body` on this connection's thread.
    public func run<T: Sendable>(_ body: @Sendable (isolated SQLiteConnection) throws -> T) throws -> T {
        try body(self)
    }

    /// Runs `body` in a write transaction: commits when it returns, rolls back when it throws.
    ///
    /// The transaction starts with `BEGIN IMMEDIATE`, which takes the database's write lock at
    /// once (waiting up to the busy timeout), so two write transactions never interleave, on this
    /// connection or any other on the same file. A deferred transaction that reads and then
    /// writes could instead fail with `SQLITE_BUSY_SNAPSHOT` without waiting.
    public func withTransaction<T>(_ body: (isolated SQLiteConnection) throws -> T) throws -> T {
        precondition(!isInTransaction, "transactions do not nest")
        try execute("BEGIN IMMEDIATE", name: "begin")
        isInTransaction = true
        defer { isInTransaction = false }
        do {
            let result = try body(self)
            try execute("COMMIT", name: "commit")
            return result
        } catch {
            if let handle, sqlite3_get_autocommit(handle) == 0 {
                _ = try? execute("ROLLBACK", name: "rollback")
            }
            throw error
        }
    }

    /// Runs SQL without parameters, which may hold several statements separated by semicolons.
    ///
    /// - Throws: `SQLiteError` with code `.statementFailed`, `.busy` or `.closed`.
    public func execute(_ sql: String, name: String) throws {
        let connection = try openHandle(for: name)
        let status = sqlite3_exec(connection, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status: status, statement: name) }
    }

    /// Runs a statement with parameters `?1`, `?2`, … and returns its rows.
    ///
    /// - Throws: `SQLiteError` with code `.statementFailed`, `.busy` or `.closed`.
    @discardableResult
    public func query(_ statement: SQLiteStatement, _ parameters: [SQLiteValue] = []) throws -> [SQLiteRow] {
        let prepared = try prepare(statement)
        defer {
            sqlite3_reset(prepared)
            sqlite3_clear_bindings(prepared)
        }
        try bind(parameters, to: prepared, statement: statement.name)
        return try readRows(of: prepared, statement: statement.name)
    }

    func openHandle(for statement: String) throws -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(.closed, "the connection is closed", statementName: statement)
        }
        return handle
    }

    /// Builds the error for a failed call from its result code and `sqlite3_errmsg`.
    func error(status: Int32, statement: String) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
        let code: SQLiteError.Code = status & 0xff == SQLITE_BUSY ? .busy : .statementFailed
        return SQLiteError(code, message, resultCode: status, statementName: statement)
    }

    private func prepare(_ statement: SQLiteStatement) throws -> OpaquePointer {
        if let cached = database?.preparedStatements[statement.name] { return cached }
        let connection = try openHandle(for: statement.name)
        var prepared: OpaquePointer?
        let status = sqlite3_prepare_v3(
            connection, statement.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard status == SQLITE_OK, let prepared else {
            throw error(status: status, statement: statement.name)
        }
        database?.preparedStatements[statement.name] = prepared
        return prepared
    }
}
