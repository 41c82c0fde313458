import Foundation

/// Stores batches of log parts: the `log_parts` step.
///
/// A batch costs one round trip for the parts, plus one per job whose log id is not cached yet.
/// A final part schedules aggregation of its log after `intervals.regular`.
public struct LogPartsWriter: Sendable {
    /// The counts of one written batch.
    public struct Summary: Sendable, Hashable {
        public var written = 0
        public var dropped = 0
        public var aggregationsScheduled = 0
    }

    private let store: any PartStore
    private let queue: any JobQueue
    private let logIDs: LogIDResolver
    private let maintenance: any MaintenanceSwitch
    private let clock: any LogsClock
    private let aggregationDelay: Duration
    private let normalizer = PartNormalizer()
    private let logger: Logger
    private let metrics: MetricsRegistry

    public init(
        store: any PartStore, queue: any JobQueue, cache: any LogIDCache, maintenance: any MaintenanceSwitch,
        clock: any LogsClock, aggregationDelay: Duration, logger: Logger, metrics: MetricsRegistry
    ) {
        self.store = store
        self.queue = queue
        self.logIDs = LogIDResolver(store: store, cache: cache, clock: clock)
        self.maintenance = maintenance
        self.clock = clock
        self.aggregationDelay = aggregationDelay
        self.logger = logger
        self.metrics = metrics
    }

    /// Normalizes and stores parts, dropping (and counting) each one that can never be stored.
    ///
    /// - Throws: `LogsError` with code `.underMaintenance` while the maintenance switch is on, and
    ///   the store's or queue's errors; nothing is stored partially in that case, so the whole
    ///   batch can be retried.
    @discardableResult
    public func write(_ parts: [RawLogPart]) async throws -> Summary {
        try await maintenance.checkAvailable()
        var summary = Summary()
        var normalized: [LogPart] = []
        normalized.reserveCapacity(parts.count)
        for part in parts {
            do {
                normalized.append(try normalizer.normalize(part))
            } catch let error as LogsError {
                summary.dropped += 1
                countDropped(reason: error.reason ?? "invalid")
                logger.warning(
                    "dropped log part", metadata: ["job_id": "\(part.jobID)", "reason": "\(error.reason ?? "invalid")"])
            }
        }
        guard !normalized.isEmpty else { return summary }

        let logIDsByJob = try await logIDs.resolve(Set(normalized.map(\.jobID)))
        let rows = normalized.map { part in
            NewLogPart(
                logID: logIDsByJob[part.jobID]!, number: part.number, content: part.storedContent, isFinal: part.isFinal
            )
        }
        let now = clock.now()
        try await store.insertParts(rows, at: now)
        summary.written = rows.count
        metrics.counter("travis_logs_parts_written_total", help: "Log parts stored.").increment(by: rows.count)
        observeTimeToFirstLine(normalized, now: now)

        let finals = normalized.filter(\.isFinal)
        guard !finals.isEmpty else { return summary }
        // One call for every final part of the batch: one round trip on Redis.
        try await queue.schedule(
            finals.map { JobPayload.aggregate(logIDsByJob[$0.jobID]!).makeJob(at: now) },
            at: now.addingTimeInterval(aggregationDelay.timeInterval))
        summary.aggregationsScheduled = finals.count
        for part in finals {
            let logID = logIDsByJob[part.jobID]!
            logger.debug(
                "scheduled aggregation",
                metadata: [
                    "job_id": "\(part.jobID)", "log_id": "\(logID)", "in_seconds": "\(aggregationDelay.timeInterval)",
                ])
        }
        return summary
    }

    private func countDropped(reason: String) {
        metrics.counter(
            "travis_logs_parts_dropped_total", labels: ["reason": reason], help: "Log parts that could never be stored."
        ).increment()
    }

    /// Records how long after the job was queued its parts arrived, from the worker's
    /// `meta.queued_at`.
    private func observeTimeToFirstLine(_ parts: [LogPart], now: Date) {
        for part in parts {
            guard let queuedAt = part.meta?["queued_at"]?.stringValue, let date = TimestampFormat.parse(queuedAt) else {
                continue
            }
            metrics.histogram(
                "travis_logs_time_to_first_log_line_seconds", buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800],
                help: "Seconds from a job being queued to its log parts being stored."
            ).observe(max(0, now.timeIntervalSince(date)))
        }
    }
}

/// Finds log ids for job ids: from the cache, else the store, creating logs that do not exist.
struct LogIDResolver: Sendable {
    let store: any PartStore
    let cache: any LogIDCache
    let clock: any LogsClock

    /// Returns the log ids of several jobs: those cached with one cache call, the others with one
    /// store call, which creates the logs that do not exist.
    func resolve(_ jobIDs: Set<JobID>) async throws -> [JobID: LogID] {
        var result = await cache.logIDs(forJobIDs: Array(jobIDs))
        guard result.count < jobIDs.count else { return result }
        let missing = jobIDs.filter { result[$0] == nil }.sorted()
        let now = clock.now()
        var found = try await store.findOrCreateLogs(jobIDs: missing, at: now)
        for jobID in missing where found[jobID] == nil {
            found[jobID] = try await store.findOrCreateLog(jobID: jobID, at: now)
        }
        await cache.store(found)
        result.merge(found) { cached, _ in cached }
        return result
    }

    func resolve(_ jobID: JobID) async throws -> LogID {
        if let cached = await cache.logID(forJobID: jobID) { return cached }
        let logID = try await store.findOrCreateLog(jobID: jobID, at: clock.now())
        await cache.store(logID, forJobID: jobID)
        return logID
    }

    func existing(_ jobID: JobID) async throws -> LogID? {
        if let cached = await cache.logID(forJobID: jobID) { return cached }
        guard let logID = try await store.logID(forJobID: jobID) else { return nil }
        await cache.store(logID, forJobID: jobID)
        return logID
    }
}
