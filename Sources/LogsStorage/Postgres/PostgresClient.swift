import LogsCore

/// A pool of PostgreSQL connections with scoped leases and transactions.
///
/// ```swift
/// let client = PostgresClient(configuration: PostgresConfiguration(url: databaseURL))
/// let count = try await client.withTransaction { connection in
///     try connection.query(PostgresStatement(name: "count_logs", sql: "SELECT count(*) AS n FROM logs"))
/// }
/// ```
///
/// The closures run on the leased connection's own thread. Before a closure runs, the client checks
/// the connection's socket, and when the server closed the connection while it sat in the pool (a
/// restart, `pg_terminate_backend`, an idle timeout), it discards that connection and leases
/// another. When the connection drops while a closure runs, the client discards it and runs the
/// closure once more on a fresh connection, so closures must be safe to repeat: a statement may
/// have taken effect before the drop was seen.
public final class PostgresClient: Sendable {
    public let configuration: PostgresConfiguration
    private let pool: PostgresConnectionPool
    private let logger: Logger
    /// The lost connections since the last call that succeeded, so that an outage logs one
    /// warning instead of one per call.
    private let connectionLosses = FailureRuns()

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "travis-logs.postgres")) {
        self.configuration = configuration
        self.pool = PostgresConnectionPool(configuration: configuration)
        self.logger = logger
    }

    /// Runs `body` with a leased connection, outside any transaction.
    ///
    /// - Throws: the body's errors, and `PostgresError` with code `.poolTimedOut`,
    ///   `.connectionFailed`, or `.connectionLost` when the retry also lost its connection or when
    ///   the server closed more than `maximumConnections + 1` connections before the body ran.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 1
        var closedWhileIdleCount = 0
        while true {
            let connection = try await pool.lease()
            switch await connection.run(body) {
            case .closedWhileIdle(let reason):
                // The body did not run, so this is not one of its attempts.
                await pool.release(connection, isBroken: true)
                closedWhileIdleCount += 1
                try checkClosedWhileIdle(count: closedWhileIdleCount, reason: reason)
            case .ran(let result, let isBroken):
                await pool.release(connection, isBroken: isBroken)
                do {
                    let value = try result.get()
                    connectionLosses.logRecovery(
                        "lost", to: logger, "database connections work again", countName: "lost_connections")
                    return value
                } catch let error as PostgresError where error.isConnectionLoss && attempt == 1 {
                    connectionLosses.logFailure(
                        "lost", to: logger, level: .warning, "database connection lost; retrying on a fresh connection",
                        repeatMessage: "database connection lost again; retrying on a fresh connection",
                        metadata: ["error": "\(error)"])
                    attempt += 1
                }
            }
        }
    }

    /// Logs a connection that the server closed while it was idle, and throws when more than
    /// `maximumConnections + 1` came in one call. The pool keeps at most `maximumConnections` idle
    /// connections, so by then a freshly opened one was closed too, and the loop must not spin.
    private func checkClosedWhileIdle(count: Int, reason: String) throws {
        let maximum = configuration.maximumConnections + 1
        guard count <= maximum else {
            throw PostgresError(
                .connectionLost,
                "PostgreSQL closed \(count) connections in a row before a statement was sent on them: \(reason). "
                    + "The server log should say why it ends these sessions.")
        }
        logger.debug("database closed an idle connection; replacing it", metadata: ["error": "\(reason)"])
    }

    /// Runs `body` in a transaction that commits when it returns and rolls back when it throws.
    @discardableResult
    public func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try connection.withTransaction(body)
        }
    }

    /// Runs one statement on a leased connection.
    @discardableResult
    public func query(_ statement: PostgresStatement, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await withConnection { connection in
            try connection.query(statement, parameters)
        }
    }

    /// Closes every connection; later calls fail with `.poolClosed`.
    public func close() async {
        await pool.close()
    }

    deinit {
        // Each open connection keeps a thread; closing the pool lets those threads end.
        let pool = self.pool
        Task { await pool.close() }
    }
}
