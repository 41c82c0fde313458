import Foundation

/// The settings of every travis-logs process, read from environment variables.
///
/// Variable names are the original service's, so an existing deployment's settings keep working:
/// a few top-level names such as `DATABASE_URL` and `AUTH_TOKEN`, and every nested setting as
/// `TRAVIS_` plus its upper-cased path joined by `_` (`logs.intervals.regular` is
/// `TRAVIS_LOGS_INTERVALS_REGULAR`). ``variables`` lists them all with their defaults. An empty
/// variable counts as unset, except `PUSHER_SECURE`. ``init(environment:)`` checks every value, so a
/// configuration built from the environment holds only valid settings.
public struct LogsConfiguration: Sendable, Equatable {
    /// The PostgreSQL connection URL or conninfo string.
    public var databaseURL = "postgres://localhost/travis_logs_development"
    /// The Redis URL for queues, presence, the maintenance switch and locks.
    public var redisURL = "redis://localhost:6379"
    /// Whether to connect to Redis over TLS.
    public var redisSSL = false
    /// The AMQP URL of the RabbitMQ server that the drain consumes from.
    public var rabbitmqURL = "amqp://localhost"
    /// Whether one of the RabbitMQ URL variables was set; `dev` starts the drain only then.
    public var isRabbitMQConfigured = false
    /// The token for the `token` authorization scheme of the HTTP API. Without it, routes that need
    /// the token respond with status 500.
    public var authToken: String?
    /// The PEM-encoded RSA public key that verifies RS512 JSON Web Tokens.
    public var jwtRSAPublicKey: String?
    /// The TCP port of the HTTP API.
    public var port = 5555
    /// The IP address the HTTP API listens on; `0.0.0.0` means every IPv4 interface.
    public var bindAddress = "0.0.0.0"
    /// Whether the PostgreSQL store may use named prepared statements; PgBouncer in transaction
    /// pooling mode needs `false`.
    public var pgbouncerPreparedStatements = true
    /// The lowest level written to the log.
    public var logLevel: Logger.Level = .info
    /// Whether Pusher events are sent only to channels known to be occupied.
    public var channelsExistenceCheck = true
    /// Whether to count Pusher events sent and skipped by the existence check.
    public var channelsExistenceMetrics = false
    /// Settings of the log pipeline.
    public var logs = Logs()
    /// Settings of the Pusher client.
    public var pusher = Pusher()
    /// Settings of the S3 archive.
    public var s3 = S3()
    /// Settings of the RabbitMQ management API, used for the sharding policy.
    public var amqp = AMQP()
    /// Settings of the distributed lock.
    public var lock = Lock()
    /// Settings of the Sidekiq-compatible job queue.
    public var sidekiq = Sidekiq()

    /// The configuration that an empty environment gives.
    public static let defaults = LogsConfiguration()
}
