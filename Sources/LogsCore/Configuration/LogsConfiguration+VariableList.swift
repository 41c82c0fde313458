extension LogsConfiguration {
    static let connectionVariables: [Variable] = [
        Variable("DATABASE_URL", aliases: ["LOGS_DATABASE_URL"], "PostgreSQL URL of the logs database") {
            $0.databaseURL
        },
        Variable("REDIS_URL", "Redis URL for job queues, channel presence, the maintenance switch and locks") {
            $0.redisURL
        },
        Variable("REDIS_SSL", "Connects to Redis over TLS when exactly true") { String($0.redisSSL) },
        Variable(
            "RABBITMQ_URL",
            aliases: ["TRAVIS_RABBITMQ_URL", "CLOUDAMQP_URL"],
            "AMQP URL of the RabbitMQ server that the drain consumes from"
        ) { $0.rabbitmqURL },
        Variable(
            "AUTH_TOKEN",
            "Token that API clients send as \"Authorization: token ...\"; when unset, those routes return 500"
        ) { $0.authToken ?? "" },
        Variable("JWT_RSA_PUBLIC_KEY", "PEM RSA public key that verifies RS512 tokens; \\n stands for a line break") {
            $0.jwtRSAPublicKey ?? ""
        },
        Variable("PORT", "TCP port of the HTTP API, 1 to 65535") { String($0.port) },
        Variable("BIND_ADDRESS", "IPv4 address the HTTP API listens on; 0.0.0.0 means every interface") {
            $0.bindAddress
        },
        Variable(
            "PGBOUNCER_PREPARED_STATEMENTS",
            "Uses named prepared statements; set false behind PgBouncer in transaction pooling mode"
        ) { String($0.pgbouncerPreparedStatements) },
        Variable("TRAVIS_LOG_LEVEL", "Lowest level logged: trace, debug, info, notice, warning, error or critical") {
            $0.logLevel.rawValue
        },
        Variable("TRAVIS_CHANNELS_EXISTENCE_CHECK", "Sends Pusher events only to channels known to be occupied") {
            String($0.channelsExistenceCheck)
        },
        Variable("TRAVIS_CHANNELS_EXISTENCE_METRICS", "Counts Pusher events sent and skipped by the existence check") {
            String($0.channelsExistenceMetrics)
        },
    ]

    static let logsVariables: [Variable] = [
        Variable("TRAVIS_LOGS_ARCHIVE", "Archives aggregated logs to S3") { String($0.logs.archive) },
        Variable("TRAVIS_LOGS_PURGE", "Clears the database copy of a log once its archive is verified") {
            String($0.logs.purge)
        },
        Variable(
            "TRAVIS_LOGS_AGGREGATE_CLEAN_SKIP_EMPTY",
            "Keeps the parts of a log whose aggregated content is empty"
        ) { String($0.logs.aggregateCleanSkipEmpty) },
        Variable(
            "TRAVIS_LOGS_ARCHIVE_SPOOFING_MIN_ACCEPTED_ID",
            "Logs with a smaller id are returned as archived and empty"
        ) { String($0.logs.archiveSpoofing.minAcceptedID) },
        Variable(
            "TRAVIS_LOGS_ARCHIVE_SPOOFING_MIN_ACCEPTED_JOB_ID",
            "Jobs with a smaller id have their log returned as archived and empty"
        ) { String($0.logs.archiveSpoofing.minAcceptedJobID) },
        Variable("TRAVIS_LOGS_CACHE_SIZE_BYTES", "Size in bytes of the cache from job id to log id") {
            String($0.logs.cacheSizeBytes)
        },
        Variable(
            "TRAVIS_LOGS_DRAIN_ACK_TIMEOUT",
            "Seconds a drain consumer may go without acknowledging a message before it restarts"
        ) { Variable.format($0.logs.drainAckTimeout) },
        Variable("TRAVIS_LOGS_DRAIN_BATCH_SIZE", "Log parts the drain collects before writing them") {
            String($0.logs.drainBatchSize)
        },
        Variable("TRAVIS_LOGS_DRAIN_CONSUMER_COUNT", "Drain consumers per process") {
            String($0.logs.drainConsumerCount)
        },
        Variable("TRAVIS_LOGS_DRAIN_EXECUTION_INTERVAL", "Seconds between writes of a batch that is not full") {
            Variable.format($0.logs.drainExecutionInterval)
        },
        Variable(
            "TRAVIS_LOGS_DRAIN_BATCH_IDLE_TIME",
            "Seconds without a new message before a drain consumer writes a batch that is not full, 0 to wait for the interval"
        ) { Variable.format($0.logs.drainBatchIdleTime) },
        Variable(
            "TRAVIS_LOGS_DRAIN_FORWARDING_WAIT",
            "Seconds a drain consumer collects parts for one live forwarding job, 0 for one job per socket read"
        ) { Variable.format($0.logs.drainForwardingWait) },
        Variable("TRAVIS_LOGS_DRAIN_LOOP_SLEEP_INTERVAL", "Seconds between the drain's checks of its consumers") {
            Variable.format($0.logs.drainLoopSleepInterval)
        },
        Variable("TRAVIS_LOGS_DRAIN_TIMEOUT_INTERVAL", "Seconds that a periodic batch write may take") {
            Variable.format($0.logs.drainTimeoutInterval)
        },
        Variable(
            "TRAVIS_LOGS_DRAIN_RABBITMQ_SHARDING",
            "Consumes reporting.jobs.logs_sharded through the RabbitMQ sharding plugin"
        ) { String($0.logs.drainRabbitMQSharding) },
        Variable("TRAVIS_LOGS_DRAIN_PREFETCH", "AMQP prefetch count of each drain consumer, 1 to 65535") {
            String($0.logs.drainPrefetch)
        },
        Variable("TRAVIS_LOGS_MAINTENANCE_EXPIRY", "Seconds the maintenance switch stays on if its process dies") {
            Variable.format($0.logs.maintenanceExpiry)
        },
        Variable(
            "TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP",
            "Seconds partition maintenance waits after switching maintenance on"
        ) { Variable.format($0.logs.maintenanceInitialSleep) },
        Variable("TRAVIS_LOGS_PER_AGGREGATE_LIMIT", "Maximum number of logs that one sweep aggregates") {
            String($0.logs.perAggregateLimit)
        },
        Variable("TRAVIS_LOGS_SIDEKIQ_ERROR_RETRY_PAUSE", "Seconds a worker pauses after a failed job") {
            Variable.format($0.logs.sidekiqErrorRetryPause)
        },
        Variable("TRAVIS_LOGS_ARCHIVE_RETRIES", "Retries of a failed archive upload or verification") {
            String($0.logs.archiveRetries)
        },
    ]

    static let intervalVariables: [Variable] = [
        Variable("TRAVIS_LOGS_INTERVALS_AGGREGATE", "Seconds between sweeper runs") {
            Variable.format($0.logs.intervals.aggregate)
        },
        Variable(
            "TRAVIS_LOGS_INTERVALS_FORCE",
            "Age in seconds of a log's oldest part after which it is aggregated without a final part"
        ) { Variable.format($0.logs.intervals.force) },
        Variable("TRAVIS_LOGS_INTERVALS_PURGE", "Hours between archiving a log and purging its database copy") {
            Variable.format($0.logs.intervals.purge, unitSeconds: 3600)
        },
        Variable("TRAVIS_LOGS_INTERVALS_REGULAR", "Seconds between a log's final part and its aggregation") {
            Variable.format($0.logs.intervals.regular)
        },
        Variable("TRAVIS_LOGS_INTERVALS_TIMING_INFO", "Seconds before a job's timing information is recorded") {
            Variable.format($0.logs.intervals.timingInfo)
        },
        Variable(
            "TRAVIS_LOGS_INTERVALS_SWEEPER",
            "Age in seconds of a final part after which the sweeper aggregates its log"
        ) { Variable.format($0.logs.intervals.sweeper) },
        Variable(
            "TRAVIS_LOGS_INTERVALS_MISSING_PARTS",
            "Seconds a log with missing part numbers waits for them after its newest part before it is aggregated"
        ) { Variable.format($0.logs.intervals.missingParts) },
    ]

    static let pusherVariables: [Variable] = [
        Variable("TRAVIS_PUSHER_APP_ID", "Pusher application id") { $0.pusher.appID },
        Variable("TRAVIS_PUSHER_KEY", "Pusher application key") { $0.pusher.key },
        Variable("TRAVIS_PUSHER_SECRET", "Pusher application secret") { $0.pusher.secret },
        Variable(
            "PUSHER_SECURE",
            aliases: ["TRAVIS_PUSHER_SECURE"],
            "Uses private-job-<id> channels when PUSHER_SECURE has any value or TRAVIS_PUSHER_SECURE is true"
        ) { String($0.pusher.secure) },
        Variable("TRAVIS_PUSHER_HOST", "Host of the Pusher HTTP API") { $0.pusher.host },
        Variable("TRAVIS_PUSHER_PORT", "Port of the Pusher HTTP API; the default is 80 when the scheme is http") {
            String($0.pusher.port)
        },
        Variable("TRAVIS_PUSHER_SCHEME", "Scheme of the Pusher HTTP API: https or http") { $0.pusher.scheme },
    ]

    static let s3Variables: [Variable] = [
        Variable("TRAVIS_S3_ACCESS_KEY_ID", "S3 access key id") { $0.s3.accessKeyID },
        Variable("TRAVIS_S3_SECRET_ACCESS_KEY", "S3 secret access key") { $0.s3.secretAccessKey },
        Variable("TRAVIS_S3_ACL", "Canned ACL of archived logs, such as public_read; empty sends none") { $0.s3.acl },
        Variable("TRAVIS_S3_HOSTNAME", "Bucket of archived logs when no bucket variable is set") { $0.s3.hostname },
        Variable(
            "TRAVIS_LOG_OPTIONS_S3_BUCKET",
            aliases: ["TRAVIS_S3_BUCKET"],
            "Bucket of archived logs, named apart from TRAVIS_S3_HOSTNAME"
        ) { $0.s3.bucket ?? "" },
        Variable("TRAVIS_S3_ENDPOINT", "http or https URL of an S3-compatible server; turns on path-style addressing") {
            $0.s3.endpoint?.absoluteString ?? ""
        },
        Variable("TRAVIS_S3_REGION", "Region used to sign S3 requests") { $0.s3.region },
    ]

    static let amqpVariables: [Variable] = [
        Variable("TRAVIS_AMQP_HOST", "RabbitMQ management API host; defaults to the RabbitMQ URL's host") {
            $0.amqp.host ?? ""
        },
        Variable("TRAVIS_AMQP_API_PORT", "RabbitMQ management API port; the sharding policy is set only with it") {
            $0.amqp.apiPort.map(String.init) ?? ""
        },
        Variable("TRAVIS_AMQP_VHOST", "RabbitMQ vhost of the sharding policy; defaults to the RabbitMQ URL's") {
            $0.amqp.vhost
        },
        Variable("TRAVIS_AMQP_USERNAME", "RabbitMQ user; defaults to the RabbitMQ URL's") { $0.amqp.username ?? "" },
        Variable("TRAVIS_AMQP_PASSWORD", "RabbitMQ password; defaults to the RabbitMQ URL's") {
            $0.amqp.password ?? ""
        },
        Variable("TRAVIS_AMQP_MANAGEMENT_USER", "RabbitMQ management API user, when not TRAVIS_AMQP_USERNAME") {
            $0.amqp.managementUser ?? ""
        },
        Variable(
            "TRAVIS_AMQP_MANAGEMENT_PASS",
            aliases: ["TRAVIS_AMQP_MANAGEMENT_PASSWORD"],
            "RabbitMQ management API password, when not TRAVIS_AMQP_PASSWORD"
        ) { $0.amqp.managementPassword ?? "" },
        Variable("TRAVIS_AMQP_TLS", "Reaches the RabbitMQ management API over https") { String($0.amqp.tls) },
        Variable("TRAVIS_AMQP_SHARDS_PER_NODE", "shards-per-node of the logs-sharding policy") {
            String($0.amqp.shardsPerNode)
        },
        Variable("TRAVIS_AMQP_SHARDS_PRIORITY", "Priority of the logs-sharding policy") {
            String($0.amqp.shardsPriority)
        },
    ]

    static let otherVariables: [Variable] = [
        Variable("TRAVIS_LOCK_TTL", "Seconds a distributed lock is held at most when its owner dies") {
            Variable.format($0.lock.ttl)
        },
        Variable("TRAVIS_SIDEKIQ_NAMESPACE", "Prefix of the job queue's Redis keys; empty as the original uses them") {
            $0.sidekiq.namespace
        },
        Variable("TRAVIS_SIDEKIQ_POOL_SIZE", "Redis connections per process for the job queue") {
            String($0.sidekiq.poolSize)
        },
    ]
}
