extension LogsConfiguration {
    /// Settings of the log pipeline, from `TRAVIS_LOGS_*` variables.
    public struct Logs: Sendable, Equatable {
        /// Whether aggregated logs are archived to S3.
        public var archive = true
        /// Whether archived logs have their database copy purged after ``Intervals/purge``.
        public var purge = false
        /// Whether aggregation keeps the parts of a log whose aggregated content is empty.
        // NOTE: read for compatibility with the original's settings but not applied: aggregation
        // deletes exactly the parts it joined, so an empty result loses nothing, and keeping its
        // parts would make the sweeper pick the log up again on every run.
        public var aggregateCleanSkipEmpty = true
        /// The id limits below which logs are returned as archived and empty, without a lookup.
        public var archiveSpoofing = ArchiveSpoofing()
        /// The size in bytes of the cache that maps job ids to log ids.
        public var cacheSizeBytes = 10_000_000
        /// How long a drain consumer may go without acknowledging a message before it restarts.
        public var drainAckTimeout: Duration = .seconds(300)
        /// The number of log parts the drain collects before writing them.
        public var drainBatchSize = 100
        /// The number of drain consumers per process.
        public var drainConsumerCount = 10
        /// How often the drain writes a batch that is not full yet.
        public var drainExecutionInterval: Duration = .seconds(3)
        /// How long a drain consumer waits for another message before it writes a batch that is not
        /// full yet. Zero waits for ``drainExecutionInterval``. The original service has no such setting.
        public var drainBatchIdleTime: Duration = .milliseconds(100)
        /// How long a drain consumer may collect parts for one `logs.pusher_forwarding` job while
        /// messages keep coming. A part that comes alone goes out 2 ms later at most. Zero pushes
        /// one job per read from the socket. The original service pushes one job per part.
        public var drainForwardingWait: Duration = .milliseconds(10)
        /// How long the drain's supervisor sleeps between checks of its consumers.
        public var drainLoopSleepInterval: Duration = .seconds(10)
        /// How long a periodic batch write may take.
        public var drainTimeoutInterval: Duration = .seconds(3)
        /// Whether the drain consumes `reporting.jobs.logs_sharded` through the sharding plugin.
        public var drainRabbitMQSharding = false
        /// The AMQP prefetch count of each drain consumer (not in the original service).
        public var drainPrefetch = 200
        /// Delays and ages used to schedule work.
        public var intervals = Intervals()
        /// How long the maintenance switch stays on if the process that set it dies.
        public var maintenanceExpiry: Duration = .seconds(300)
        /// How long partition maintenance waits after switching maintenance on, so running writes finish.
        public var maintenanceInitialSleep: Duration = .seconds(30)
        /// The maximum number of logs one sweep aggregates.
        public var perAggregateLimit = 500
        /// How long a worker pauses after a job fails, before it takes the next job.
        public var sidekiqErrorRetryPause: Duration = .seconds(3)
        /// How many times an archive upload or verification is retried (not in the original service).
        public var archiveRetries = 5

        public init() {}
    }
}

extension LogsConfiguration.Logs {
    /// Id limits for logs that were archived before this database existed.
    public struct ArchiveSpoofing: Sendable, Equatable {
        /// Logs with a smaller id are returned as archived and empty.
        public var minAcceptedID = 0
        /// Logs of jobs with a smaller id are returned as archived and empty.
        public var minAcceptedJobID = 0

        public init() {}
    }

    /// Delays and ages used to schedule aggregation, archiving and purging.
    public struct Intervals: Sendable, Equatable {
        /// How often the sweeper runs.
        public var aggregate: Duration = .seconds(60)
        /// The age of the oldest part after which a log is aggregated even without a final part.
        public var force: Duration = .seconds(10_800)
        /// The delay between archiving and purging. The variable is in hours, as in the original.
        public var purge: Duration = .seconds(6 * 3600)
        /// The delay between a log's final part and its aggregation. The original's code uses 180 s;
        /// this port uses 10 s, the default that the original's README states.
        public var regular: Duration = .seconds(10)
        /// The delay before a job's timing information is recorded.
        public var timingInfo: Duration = .seconds(60)
        /// The age of a final part after which the sweeper aggregates its log.
        public var sweeper: Duration = .seconds(600)
        /// How long the first aggregation of a log whose part numbers have a gap waits for the
        /// missing parts, counted from its newest part. A part whose write failed comes back with
        /// Sidekiq's retry backoff (15 s or more), and appending it after the aggregation would put
        /// it out of order. Not in the original, which aggregates at once.
        public var missingParts: Duration = .seconds(60)

        public init() {}
    }
}
