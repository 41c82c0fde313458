internal import CLibPQ
import Foundation
import LogsCore

/// One libpq connection, owned by an actor that runs on its own thread.
///
/// libpq blocks while it waits for the server, so every call runs on this actor's `ThreadExecutor`
/// and never on Swift's cooperative pool. Callers reach it through `PostgresClient`, which pools
/// connections and hands out one at a time. Code that runs several statements passes a closure
/// that takes the connection as `isolated`, so the statements run back to back on the connection's
/// thread with one hop for the whole closure.
public actor PostgresConnection {
    private let executor: ThreadExecutor
    private let configuration: PostgresConfiguration
    private var handle: OpaquePointer?
    private var preparedNames: Set<String> = []
    private var transactionDepth = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    init(configuration: PostgresConfiguration, executor: ThreadExecutor) {
        self.configuration = configuration
        self.executor = executor
    }

    /// Opens the connection.
    ///
    /// - Throws: `PostgresError` with code `.connectionFailed` and libpq's message.
    func connect() throws {
        precondition(handle == nil, "connect() called on an open connection")
        var keywords = ["dbname", "application_name", "connect_timeout", "client_encoding"]
        let connectSeconds = max(1, configuration.connectTimeout.components.seconds)
        var values = [configuration.url, configuration.applicationName, String(connectSeconds), "UTF8"]
        if configuration.usesNamedStatements {
            // PgBouncer 1.18 rejects the `options` startup parameter ("unsupported startup
            // parameter"), so behind it the timeout is set per transaction (see `beginTransaction`).
            // NOTE: in that mode a statement outside `withTransaction` runs without the timeout.
            keywords.append("options")
            values.append("-c statement_timeout=\(configuration.statementTimeoutMilliseconds)")
        }
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { Self.connectionMessage($0) } ?? "out of memory"
            PQfinish(connection)
            throw PostgresError(.connectionFailed, "could not connect to PostgreSQL: \(message)")
        }
        handle = connection
    }

    /// Closes the connection; later calls fail with `.connectionLost`.
    func close() {
        PQfinish(handle)
        handle = nil
        preparedNames.removeAll()
        executor.shutdown()
    }

    /// Whether the connection is closed or broken, so the pool must not reuse it.
    public var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// The server process id of this connection, as `pg_backend_pid()` returns it.
    public var backendPID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    /// The outcome of `run`.
    enum RunOutcome<T: Sendable>: Sendable {
        /// The server had closed the connection while it sat idle, so the body did not run.
        /// `reason` is libpq's message, when libpq has one.
        case closedWhileIdle(reason: String)
        /// The body ran, and `isBroken` is the connection's state afterwards.
        case ran(Result<T, any Error>, isBroken: Bool)
    }

    /// Runs `body` on this connection's thread, unless the server closed the connection while it
    /// was idle, and reads `isBroken` there afterwards, so that the pool's release needs no second
    /// hop onto this thread.
    func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) -> RunOutcome<T> {
        if let handle, let reason = Self.closedWhileIdleReason(handle) {
            return .closedWhileIdle(reason: reason)
        }
        let result = Result { try body(self) }
        return .ran(result, isBroken: isBroken)
    }

    /// Runs a parameterized statement and returns its rows.
    ///
    /// - Throws: `PostgresError` with code `.queryFailed` (and the SQLSTATE) or `.connectionLost`.
    @discardableResult
    public func query(_ statement: PostgresStatement, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        let connection = try openHandle(for: statement.name)
        let texts = parameters.map(\.text)
        try Self.checkNoNULBytes(texts, statement: statement.name)
        if configuration.usesNamedStatements && !preparedNames.contains(statement.name) {
            let prepared = PQprepare(connection, statement.name, statement.sql, Int32(texts.count), nil)
            _ = try consume(prepared, statement: statement.name)
            preparedNames.insert(statement.name)
        }
        let result = withOptionalCStringArray(texts) { values in
            if configuration.usesNamedStatements {
                return PQexecPrepared(connection, statement.name, Int32(texts.count), values, nil, nil, 0)
            }
            return PQexecParams(connection, statement.sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        return try consume(result, statement: statement.name)
    }

    /// Runs SQL without parameters through the simple query protocol, which allows several
    /// statements separated by semicolons.
    ///
    /// - Throws: `PostgresError` with code `.queryFailed` or `.connectionLost`.
    @discardableResult
    public func execute(_ sql: String, name: String) throws -> PostgresRows {
        let connection = try openHandle(for: name)
        return try consume(PQexec(connection, sql), statement: name)
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Behind PgBouncer the transaction also sets `statement_timeout` locally, because a session
    /// setting would stay on whichever server connection happened to run it.
    public func withTransaction<T>(_ body: (isolated PostgresConnection) throws -> T) throws -> T {
        precondition(transactionDepth == 0, "transactions do not nest")
        try beginTransaction()
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        do {
            let result = try body(self)
            try execute("COMMIT", name: "commit")
            return result
        } catch {
            if !isBroken {
                _ = try? execute("ROLLBACK", name: "rollback")
            }
            throw error
        }
    }

    private func beginTransaction() throws {
        if configuration.usesNamedStatements {
            try execute("BEGIN", name: "begin")
        } else {
            try execute(
                "BEGIN; SET LOCAL statement_timeout = \(configuration.statementTimeoutMilliseconds)", name: "begin")
        }
    }

    /// Rejects a parameter with a NUL byte before it is sent: libpq would cut it off there.
    private static func checkNoNULBytes(_ texts: [String?], statement: String) throws {
        for (index, text) in texts.enumerated() where text?.utf8.contains(0) == true {
            throw PostgresError(
                .queryFailed, "parameter \(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                sqlState: "22021", queryName: statement)
        }
    }

    func openHandle(for statement: String) throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(.connectionLost, "the connection is closed", queryName: statement)
        }
        return handle
    }

    /// Checks a result, frees it, and returns its rows.
    func consume(_ result: OpaquePointer?, statement: String) throws -> PostgresRows {
        defer { PQclear(result) }
        guard let result else {
            throw lostOrFailed(statement: statement, fallback: "no result from the server")
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return Self.rows(of: result)
        default:
            throw error(from: result, statement: statement)
        }
    }

    /// Builds the error for a failed result, telling a dropped connection from a server error.
    func error(from result: OpaquePointer, statement: String) -> PostgresError {
        let sqlState = Self.field(result, "C")
        let message = Self.field(result, "M") ?? Self.trimmed(PQresultErrorMessage(result))
        if sqlState == nil, let handle, PQstatus(handle) != CONNECTION_OK {
            return PostgresError(
                .connectionLost, "the connection to PostgreSQL was lost: \(message)", queryName: statement)
        }
        return PostgresError(.queryFailed, message, sqlState: sqlState, queryName: statement)
    }

    func lostOrFailed(statement: String, fallback: String) -> PostgresError {
        let message = handle.map { Self.connectionMessage($0) } ?? fallback
        if isBroken {
            return PostgresError(
                .connectionLost, "the connection to PostgreSQL was lost: \(message)", queryName: statement)
        }
        return PostgresError(.queryFailed, message, queryName: statement)
    }

    static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: value)
    }

    static func connectionMessage(_ connection: OpaquePointer) -> String {
        trimmed(PQerrorMessage(connection))
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        // A COPY result has a column count but no column names.
        let columns = (0..<columnCount).map { PQfname(result, Int32($0)).map { String(cString: $0) } ?? "" }
        var values: [[String?]] = []
        values.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            values.append((0..<Int32(columnCount)).map { column in text(of: result, row: row, column: column) })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, values: values, affectedRows: affected)
    }

    private static func text(of result: OpaquePointer, row: Int32, column: Int32) -> String? {
        guard PQgetisnull(result, row, column) == 0, let value = PQgetvalue(result, row, column) else { return nil }
        let length = Int(PQgetlength(result, row, column))
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live until it returns.
private func withCStringArray<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies = strings.map { strdup($0) }
    defer {
        for copy in copies { free(copy) }
    }
    return body(copies.map { UnsafePointer($0) } + [nil])
}

/// Calls `body` with an array of C strings, nil for NULL, that live until it returns.
private func withOptionalCStringArray<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies = strings.map { $0.flatMap { strdup($0) } }
    defer {
        for copy in copies { free(copy) }
    }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
