import Foundation

/// Every seam of the pipeline in one value, and the services built from them.
///
/// Executables fill it with the production implementations; tests and embedding services fill
/// it with in-memory ones (see `Pipeline.inMemory`). The same service code runs either way.
public struct Pipeline: Sendable {
    public var store: any PartStore
    public var archive: any Archive
    public var queue: any JobQueue
    /// Pusher, when configured.
    public var pusher: (any Broadcaster)?
    /// The fan-out behind the live stream endpoint, when this process serves one.
    public var liveStream: (any Broadcaster)?
    /// The jobs that stream clients watch, when the live stream carries only their parts; nil
    /// sends every part to the live stream.
    public var streamAudience: (any LiveStreamAudience)?
    public var presence: any ChannelPresence
    public var maintenance: any MaintenanceSwitch
    public var lock: any DistributedLock
    public var logIDCache: any LogIDCache
    public var ignoredIDs: any IgnoredIDs
    public var clock: any LogsClock
    public var configuration: LogsConfiguration
    public var logger: Logger
    public var metrics: MetricsRegistry

    public init(
        store: any PartStore, archive: any Archive, queue: any JobQueue, pusher: (any Broadcaster)?,
        liveStream: (any Broadcaster)?, streamAudience: (any LiveStreamAudience)? = nil, presence: any ChannelPresence,
        maintenance: any MaintenanceSwitch, lock: any DistributedLock, logIDCache: any LogIDCache,
        ignoredIDs: any IgnoredIDs, clock: any LogsClock, configuration: LogsConfiguration, logger: Logger,
        metrics: MetricsRegistry
    ) {
        self.store = store
        self.archive = archive
        self.queue = queue
        self.pusher = pusher
        self.liveStream = liveStream
        self.streamAudience = streamAudience
        self.presence = presence
        self.maintenance = maintenance
        self.lock = lock
        self.logIDCache = logIDCache
        self.ignoredIDs = ignoredIDs
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// A pipeline on in-memory implementations of every seam, sharing one clock.
    public static func inMemory(
        configuration: LogsConfiguration, clock: any LogsClock = SystemClock(), pusher: (any Broadcaster)? = nil,
        liveStream: (any Broadcaster)? = InMemoryLiveStream(), logger: Logger = Logger(label: "travis-logs"),
        metrics: MetricsRegistry = MetricsRegistry()
    ) -> Pipeline {
        Pipeline(
            store: InMemoryPartStore(), archive: InMemoryArchive(), queue: InMemoryJobQueue(clock: clock),
            pusher: pusher,
            liveStream: liveStream, presence: InMemoryChannelPresence(clock: clock),
            maintenance: InMemoryMaintenanceSwitch(clock: clock), lock: InMemoryLock(clock: clock),
            logIDCache: InMemoryLogIDCache(capacity: max(1, configuration.logs.cacheSizeBytes / 64)),
            ignoredIDs: InMemoryIgnoredIDs(), clock: clock, configuration: configuration, logger: logger,
            metrics: metrics)
    }

    private var intervals: LogsConfiguration.Logs.Intervals { configuration.logs.intervals }

    public var writer: LogPartsWriter {
        LogPartsWriter(
            store: store, queue: queue, cache: logIDCache, maintenance: maintenance, clock: clock,
            aggregationDelay: intervals.regular, logger: logger, metrics: metrics)
    }

    public var forwarder: LiveForwarder {
        LiveForwarder(
            pusher: pusher, liveStream: liveStream, presence: presence,
            checksExistence: configuration.channelsExistenceCheck, usesPrivateChannels: configuration.pusher.secure,
            streamAudience: streamAudience, logger: logger, metrics: metrics)
    }

    public var aggregator: Aggregator {
        Aggregator(
            store: store, archive: archive, queue: queue, lock: lock, maintenance: maintenance, clock: clock,
            archivesLogs: configuration.logs.archive, lockTTL: configuration.lock.ttl,
            missingPartsWait: configuration.logs.intervals.missingParts, logger: logger, metrics: metrics)
    }

    public var archiver: Archiver {
        Archiver(
            store: store, archive: archive, queue: queue, clock: clock,
            settings: Archiver.Settings(
                attempts: configuration.logs.archiveRetries, purgesLogs: configuration.logs.purge,
                purgeDelay: intervals.purge),
            logger: logger, metrics: metrics)
    }

    public var purger: Purger {
        Purger(store: store, archive: archive, queue: queue, clock: clock, logger: logger, metrics: metrics)
    }

    public var sweeper: Sweeper {
        Sweeper(
            store: store, queue: queue, lock: lock, maintenance: maintenance, clock: clock,
            settings: Sweeper.Settings(
                interval: intervals.aggregate, finalPartAge: intervals.sweeper, anyPartAge: intervals.force,
                limit: configuration.logs.perAggregateLimit, lockTTL: configuration.lock.ttl),
            logger: logger)
    }

    public var fetcher: LogFetcher {
        LogFetcher(
            store: store, cache: logIDCache, ignoredIDs: ignoredIDs, maintenance: maintenance, clock: clock,
            settings: LogFetcher.Settings(
                minimumAcceptedID: Int64(configuration.logs.archiveSpoofing.minAcceptedID),
                minimumAcceptedJobID: Int64(configuration.logs.archiveSpoofing.minAcceptedJobID)))
    }

    public var updater: LogUpdater {
        LogUpdater(store: store, cache: logIDCache, clock: clock)
    }

    public var partitionMaintenance: PartitionMaintenance {
        PartitionMaintenance(
            store: store, maintenance: maintenance, clock: clock, expiry: configuration.logs.maintenanceExpiry,
            initialSleep: configuration.logs.maintenanceInitialSleep, logger: logger)
    }

    public var dispatcher: JobDispatcher {
        JobDispatcher(
            writer: writer, forwarder: forwarder, aggregator: aggregator, archiver: archiver, purger: purger,
            timingInfo: TimingInfoReporter(store: store, metrics: metrics, logger: logger),
            partitionMaintenance: partitionMaintenance, queue: queue, clock: clock,
            busyRetryDelay: configuration.logs.sidekiqErrorRetryPause, logger: logger, metrics: metrics)
    }

    /// A job runner for this pipeline, with Sidekiq's retry rules.
    public func makeJobRunner(retryPolicy: SidekiqRetryPolicy = SidekiqRetryPolicy()) -> JobRunner {
        JobRunner(
            queue: queue, dispatcher: dispatcher, clock: clock, retryPolicy: retryPolicy,
            maintenancePause: configuration.logs.sidekiqErrorRetryPause, logger: logger, metrics: metrics)
    }

    /// Forwards parts at once and queues them for storing, as the drain and web do with each
    /// batch: one `logs.pusher_forwarding` job per part and one `log_parts` job for the batch.
    public func enqueue(_ parts: [RawLogPart]) async throws {
        guard !parts.isEmpty else { return }
        let now = clock.now()
        let encoded = parts.map { $0.base64Encoded() }
        var jobs = encoded.map { JobPayload.pusherForwarding([$0]).makeJob(at: now) }
        jobs.append(JobPayload.logParts(encoded).makeJob(at: now))
        try await queue.push(jobs)
    }
}
