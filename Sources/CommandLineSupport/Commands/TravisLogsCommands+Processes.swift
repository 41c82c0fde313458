extension TravisLogsCommands {
    public static let web = CommandDefinition(
        name: "web",
        abstract: "Serves the HTTP API.",
        discussion: """
            Accepts log parts over HTTP, returns logs and their parts, replaces log content, verifies \
            Pusher existence webhooks, streams live logs as server-sent events, and serves GET /metrics. \
            Parts received go to the log_parts and logs.pusher_forwarding queues.
            """,
        options: [
            OptionDefinition(
                "port", valueName: "port",
                help: "TCP port, 1 to 65535, that the API listens on. Defaults to PORT, which defaults to 5555.")
        ],
        environment: environment(
            storageAndQueueVariables + [
                "AUTH_TOKEN", "JWT_RSA_PUBLIC_KEY", "PORT", "TRAVIS_LOGS_ARCHIVE_SPOOFING_*",
                "TRAVIS_LOGS_CACHE_SIZE_BYTES", "TRAVIS_PUSHER_KEY",
                "TRAVIS_PUSHER_SECRET", "PUSHER_SECURE",
            ]))

    public static let drain = CommandDefinition(
        name: "drain",
        abstract: "Consumes log parts from RabbitMQ.",
        discussion: """
            Reads the reporting.jobs.logs queue, or reporting.jobs.logs_sharded when \
            TRAVIS_LOGS_DRAIN_RABBITMQ_SHARDING is true, and hands the parts in batches to the log_parts \
            and logs.pusher_forwarding queues. A message is acknowledged only once its part is queued.
            """,
        options: [metricsPort],
        environment: environment(
            ["REDIS_URL", "REDIS_SSL", "RABBITMQ_URL", "TRAVIS_LOGS_DRAIN_*", "TRAVIS_AMQP_*", "TRAVIS_SIDEKIQ_*"]
                + ["TRAVIS_LOG_LEVEL"]))

    public static let worker = CommandDefinition(
        name: "worker",
        abstract: "Runs jobs from the given queues.",
        discussion: """
            Takes jobs from the queues log_parts, logs.pusher_forwarding, aggregate, archive, purge_log, \
            maintenance and timing_info, as Sidekiq does: each poll picks among the queues at random in \
            proportion to their weights. A job taken is kept in this process's in-progress list until it \
            succeeds, is scheduled for a retry, or is handed back on SIGTERM.
            """,
        options: [
            OptionDefinition(
                "queue", shortName: "q", kind: .repeatedValue, valueName: "name[,weight]",
                help: "Queue to take jobs from, with a weight from 1 to 1000 (default 1).", isRequired: true),
            OptionDefinition(
                "concurrency", shortName: "c", valueName: "count",
                help: "Number of jobs run at the same time, 1 to 1000.", defaultValue: "5"),
            metricsPort,
        ],
        environment: environment(
            storageAndQueueVariables + [
                "TRAVIS_LOGS_ARCHIVE", "TRAVIS_LOGS_PURGE", "TRAVIS_LOGS_AGGREGATE_CLEAN_SKIP_EMPTY",
                "TRAVIS_LOGS_CACHE_SIZE_BYTES", "TRAVIS_LOGS_MAINTENANCE_*", "TRAVIS_LOGS_SIDEKIQ_ERROR_RETRY_PAUSE",
                "TRAVIS_LOGS_ARCHIVE_RETRIES", "TRAVIS_LOGS_INTERVALS_*", "TRAVIS_CHANNELS_*", "TRAVIS_PUSHER_*",
                "PUSHER_SECURE", "TRAVIS_S3_*", "TRAVIS_LOG_OPTIONS_S3_BUCKET", "TRAVIS_LOCK_TTL",
            ]))

    public static let sweeper = CommandDefinition(
        name: "sweeper",
        abstract: "Finds logs whose aggregation was missed and queues it.",
        discussion: """
            Every TRAVIS_LOGS_INTERVALS_AGGREGATE seconds, under a lock shared by all sweepers, finds logs \
            with a final part older than TRAVIS_LOGS_INTERVALS_SWEEPER seconds or any part older than \
            TRAVIS_LOGS_INTERVALS_FORCE seconds, at most TRAVIS_LOGS_PER_AGGREGATE_LIMIT of them, and queues \
            their aggregation on the aggregate queue.
            """,
        options: [metricsPort],
        environment: environment(
            storageAndQueueVariables + [
                "TRAVIS_LOGS_INTERVALS_AGGREGATE", "TRAVIS_LOGS_INTERVALS_FORCE", "TRAVIS_LOGS_INTERVALS_SWEEPER",
                "TRAVIS_LOGS_PER_AGGREGATE_LIMIT", "TRAVIS_LOCK_TTL",
            ]))

    public static let maintenance = CommandDefinition(
        name: "maintenance",
        abstract: "Queues the partition maintenance job.",
        discussion: """
            Puts one job on the maintenance queue and exits, as the original's \
            bin/travis-logs-run-maintenance does. A worker on that queue switches maintenance on, creates \
            and drops the daily partitions of log_parts with pg_partman, and switches maintenance off. Run \
            it from a scheduler, for example once an hour.
            """,
        environment: environment(["REDIS_URL", "REDIS_SSL", "TRAVIS_SIDEKIQ_*", "TRAVIS_LOG_LEVEL"]))
}
