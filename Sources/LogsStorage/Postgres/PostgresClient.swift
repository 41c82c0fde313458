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
/// The closures run on the leased connection's own thread. When the connection drops while a
/// closure runs, the client discards it and runs the closure once more on a fresh connection, so
/// closures must be safe to repeat: a statement may have taken effect before the drop was seen.
public final class PostgresClient: Sendable {
    public let configuration: PostgresConfiguration
    private let pool: PostgresConnectionPool
    private let logger: Logger

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "travis-logs.postgres")) {
        self.configuration = configuration
        self.pool = PostgresConnectionPool(configuration: configuration)
        self.logger = logger
    }

    /// Runs `body` with a leased connection, outside any transaction.
    ///
    /// - Throws: the body's errors, and `PostgresError` with code `.poolTimedOut`,
    ///   `.connectionFailed`, or `.connectionLost` when the retry also lost its connection.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            let connection = try await pool.lease()
            let (result, isBroken) = await connection.run(body)
            await pool.release(connection, isBroken: isBroken)
            do {
                return try result.get()
            } catch let error as PostgresError where error.isConnectionLoss && attempt == 1 {
                logger.warning(
                    "database connection lost; retrying on a fresh connection",
                    metadata: ["error": "\(error)"])
                attempt += 1
            }
        }
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
