import LogsCore

/// The connection and pool settings of a `PostgresClient`.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string or URL, such as `postgres://user:password@127.0.0.1:5432/logs`.
    public var url: String
    /// The `application_name` every connection reports, which `pg_stat_activity` shows and
    /// partition maintenance uses to find this service's own queries.
    public var applicationName: String
    /// The server-side limit on one statement's run time.
    public var statementTimeout: Duration
    /// Whether statements are prepared once per connection under a name. PgBouncer in transaction
    /// pooling mode gives each transaction any server connection, so it needs unnamed statements.
    public var usesNamedStatements: Bool
    /// The maximum number of open connections.
    public var maximumConnections: Int
    /// How long a caller waits for a free connection before failing with `.poolTimedOut`.
    public var connectionWaitTimeout: Duration
    /// How long opening one connection may take.
    public var connectTimeout: Duration

    /// The statement timeout of worker processes: 30 minutes, as the original service sets it.
    public static let workerStatementTimeout: Duration = .seconds(30 * 60)
    /// The statement timeout of web processes: 30 seconds, as the original service sets it.
    public static let webStatementTimeout: Duration = .seconds(30)

    public init(
        url: String, applicationName: String = "travis-logs",
        statementTimeout: Duration = PostgresConfiguration.workerStatementTimeout, usesNamedStatements: Bool = true,
        maximumConnections: Int = 10, connectionWaitTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(10)
    ) {
        self.url = url
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
        self.usesNamedStatements = usesNamedStatements
        self.maximumConnections = maximumConnections
        self.connectionWaitTimeout = connectionWaitTimeout
        self.connectTimeout = connectTimeout
    }

    /// Takes the URL from `DATABASE_URL` (or `LOGS_DATABASE_URL`) and the statement mode from
    /// `PGBOUNCER_PREPARED_STATEMENTS`, as the service's configuration read them.
    public init(
        configuration: LogsConfiguration, applicationName: String,
        statementTimeout: Duration = PostgresConfiguration.workerStatementTimeout, maximumConnections: Int = 10
    ) {
        self.init(
            url: configuration.databaseURL, applicationName: applicationName, statementTimeout: statementTimeout,
            usesNamedStatements: configuration.pgbouncerPreparedStatements, maximumConnections: maximumConnections)
    }

    /// The statement timeout in whole milliseconds, as the `statement_timeout` setting takes it.
    var statementTimeoutMilliseconds: Int64 {
        let (seconds, attoseconds) = statementTimeout.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
