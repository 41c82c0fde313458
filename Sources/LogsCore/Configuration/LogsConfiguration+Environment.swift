import Foundation

extension LogsConfiguration {
    /// Reads the configuration from environment variables, with a default for every unset one.
    ///
    /// ``variables`` lists the variables, their defaults and their aliases, which are read in order
    /// when the main name is unset or empty.
    ///
    /// - Parameter environment: The variables to read, by default those of this process.
    /// - Throws: ``ConfigurationError`` for the first invalid value, naming its variable.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var reader = EnvironmentReader(environment: environment)
        try self.init(reader: &reader)
    }

    init(reader: inout EnvironmentReader) throws {
        self.init()
        readConnections(&reader)
        try readServer(&reader)
        logs = try Logs(reader: &reader)
        pusher = try Pusher(reader: &reader)
        s3 = try S3(reader: &reader)
        amqp = try AMQP(reader: &reader, rabbitmqURL: isRabbitMQConfigured ? rabbitmqURL : nil)
        lock.ttl = try reader.duration("TRAVIS_LOCK_TTL", default: lock.ttl, allowsZero: false)
        sidekiq.namespace = reader.string("TRAVIS_SIDEKIQ_NAMESPACE", default: sidekiq.namespace)
        sidekiq.poolSize = try reader.integer("TRAVIS_SIDEKIQ_POOL_SIZE", default: sidekiq.poolSize, in: 1...Int.max)
    }

    private mutating func readConnections(_ reader: inout EnvironmentReader) {
        databaseURL = reader.firstValue("DATABASE_URL", "LOGS_DATABASE_URL")?.value ?? databaseURL
        redisURL = reader.string("REDIS_URL", default: redisURL)
        // As in the original, only the exact text `true` turns TLS on.
        redisSSL = reader.optionalString("REDIS_SSL") == "true"
        if let rabbitmq = reader.firstValue("RABBITMQ_URL", "TRAVIS_RABBITMQ_URL", "CLOUDAMQP_URL") {
            rabbitmqURL = rabbitmq.value
            isRabbitMQConfigured = true
        }
    }

    private mutating func readServer(_ reader: inout EnvironmentReader) throws {
        authToken = reader.optionalString("AUTH_TOKEN")?.trimmingCharacters(in: .whitespacesAndNewlines)
        if authToken?.isEmpty == true {
            authToken = nil
        }
        // A PEM in a one-line variable often has its line breaks written as the two characters `\n`.
        jwtRSAPublicKey = reader.optionalString("JWT_RSA_PUBLIC_KEY")?
            .replacingOccurrences(of: "\\n", with: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if jwtRSAPublicKey?.isEmpty == true {
            jwtRSAPublicKey = nil
        }
        port = try reader.integer("PORT", default: port, in: 1...65535)
        bindAddress = reader.string("BIND_ADDRESS", default: bindAddress).trimmingCharacters(in: .whitespaces)
        pgbouncerPreparedStatements = try reader.bool(
            "PGBOUNCER_PREPARED_STATEMENTS",
            default: pgbouncerPreparedStatements
        )
        logLevel = try reader.logLevel("TRAVIS_LOG_LEVEL", default: logLevel)
        channelsExistenceCheck = try reader.bool("TRAVIS_CHANNELS_EXISTENCE_CHECK", default: channelsExistenceCheck)
        channelsExistenceMetrics = try reader.bool(
            "TRAVIS_CHANNELS_EXISTENCE_METRICS",
            default: channelsExistenceMetrics
        )
    }
}

extension LogsConfiguration.Logs {
    init(reader: inout LogsConfiguration.EnvironmentReader) throws {
        self.init()
        archive = try reader.bool("TRAVIS_LOGS_ARCHIVE", default: archive)
        purge = try reader.bool("TRAVIS_LOGS_PURGE", default: purge)
        aggregateCleanSkipEmpty = try reader.bool(
            "TRAVIS_LOGS_AGGREGATE_CLEAN_SKIP_EMPTY",
            default: aggregateCleanSkipEmpty
        )
        archiveSpoofing.minAcceptedID = try reader.integer(
            "TRAVIS_LOGS_ARCHIVE_SPOOFING_MIN_ACCEPTED_ID",
            default: archiveSpoofing.minAcceptedID,
            in: 0...Int.max
        )
        archiveSpoofing.minAcceptedJobID = try reader.integer(
            "TRAVIS_LOGS_ARCHIVE_SPOOFING_MIN_ACCEPTED_JOB_ID",
            default: archiveSpoofing.minAcceptedJobID,
            in: 0...Int.max
        )
        cacheSizeBytes = try reader.integer("TRAVIS_LOGS_CACHE_SIZE_BYTES", default: cacheSizeBytes, in: 0...Int.max)
        try readDrain(&reader)
        intervals = try Intervals(reader: &reader)
        maintenanceExpiry = try reader.duration("TRAVIS_LOGS_MAINTENANCE_EXPIRY", default: maintenanceExpiry)
        maintenanceInitialSleep = try reader.duration(
            "TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP",
            default: maintenanceInitialSleep
        )
        perAggregateLimit = try reader.integer(
            "TRAVIS_LOGS_PER_AGGREGATE_LIMIT",
            default: perAggregateLimit,
            in: 1...Int.max
        )
        sidekiqErrorRetryPause = try reader.duration(
            "TRAVIS_LOGS_SIDEKIQ_ERROR_RETRY_PAUSE",
            default: sidekiqErrorRetryPause
        )
        archiveRetries = try reader.integer("TRAVIS_LOGS_ARCHIVE_RETRIES", default: archiveRetries, in: 0...Int.max)
    }

    private mutating func readDrain(_ reader: inout LogsConfiguration.EnvironmentReader) throws {
        drainAckTimeout = try reader.duration("TRAVIS_LOGS_DRAIN_ACK_TIMEOUT", default: drainAckTimeout)
        drainBatchSize = try reader.integer("TRAVIS_LOGS_DRAIN_BATCH_SIZE", default: drainBatchSize, in: 1...Int.max)
        drainConsumerCount = try reader.integer(
            "TRAVIS_LOGS_DRAIN_CONSUMER_COUNT",
            default: drainConsumerCount,
            in: 1...Int.max
        )
        drainExecutionInterval = try reader.duration(
            "TRAVIS_LOGS_DRAIN_EXECUTION_INTERVAL",
            default: drainExecutionInterval
        )
        drainBatchIdleTime = try reader.duration("TRAVIS_LOGS_DRAIN_BATCH_IDLE_TIME", default: drainBatchIdleTime)
        drainForwardingWait = try reader.duration("TRAVIS_LOGS_DRAIN_FORWARDING_WAIT", default: drainForwardingWait)
        drainLoopSleepInterval = try reader.duration(
            "TRAVIS_LOGS_DRAIN_LOOP_SLEEP_INTERVAL",
            default: drainLoopSleepInterval
        )
        drainTimeoutInterval = try reader.duration("TRAVIS_LOGS_DRAIN_TIMEOUT_INTERVAL", default: drainTimeoutInterval)
        drainRabbitMQSharding = try reader.bool("TRAVIS_LOGS_DRAIN_RABBITMQ_SHARDING", default: drainRabbitMQSharding)
        drainPrefetch = try reader.integer("TRAVIS_LOGS_DRAIN_PREFETCH", default: drainPrefetch, in: 1...65535)
    }
}

extension LogsConfiguration.Logs.Intervals {
    init(reader: inout LogsConfiguration.EnvironmentReader) throws {
        self.init()
        aggregate = try reader.duration("TRAVIS_LOGS_INTERVALS_AGGREGATE", default: aggregate)
        force = try reader.duration("TRAVIS_LOGS_INTERVALS_FORCE", default: force)
        purge = try reader.duration("TRAVIS_LOGS_INTERVALS_PURGE", default: purge, unit: .hours)
        regular = try reader.duration("TRAVIS_LOGS_INTERVALS_REGULAR", default: regular)
        timingInfo = try reader.duration("TRAVIS_LOGS_INTERVALS_TIMING_INFO", default: timingInfo)
        sweeper = try reader.duration("TRAVIS_LOGS_INTERVALS_SWEEPER", default: sweeper)
        missingParts = try reader.duration("TRAVIS_LOGS_INTERVALS_MISSING_PARTS", default: missingParts)
    }
}
