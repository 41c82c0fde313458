import Foundation

/// Joins a log's parts into its content: the `aggregate` step.
///
/// At most one aggregation of a log runs at a time across all processes, under a distributed lock
/// per log. A log that was archived and purged is merged with its archived text first, so the
/// archive never shrinks. After aggregating, the log is queued for archiving.
public struct Aggregator: Sendable {
    public enum Result: Sendable, Hashable {
        /// The parts were aggregated.
        case aggregated(AggregationOutcome)
        /// Another process is aggregating this log now.
        case busy
        /// Part numbers below the highest are missing and the newest part is recent, so the parts
        /// may still arrive. Aggregate again after `retryAfter`.
        case waitingForParts(missing: Int, retryAfter: Duration)
        case logNotFound
    }

    private let store: any PartStore
    private let archive: any Archive
    private let queue: any JobQueue
    private let lock: any DistributedLock
    private let maintenance: any MaintenanceSwitch
    private let clock: any LogsClock
    private let archivesLogs: Bool
    private let lockTTL: Duration
    private let missingPartsWait: Duration
    private let logger: Logger
    private let metrics: MetricsRegistry

    public init(
        store: any PartStore, archive: any Archive, queue: any JobQueue, lock: any DistributedLock,
        maintenance: any MaintenanceSwitch, clock: any LogsClock, archivesLogs: Bool, lockTTL: Duration,
        missingPartsWait: Duration = .zero, logger: Logger, metrics: MetricsRegistry
    ) {
        self.store = store
        self.archive = archive
        self.queue = queue
        self.lock = lock
        self.maintenance = maintenance
        self.clock = clock
        self.archivesLogs = archivesLogs
        self.lockTTL = lockTTL
        self.missingPartsWait = missingPartsWait
        self.logger = logger
        self.metrics = metrics
    }

    /// The lock key that serializes aggregations of one log.
    public static func lockKey(for logID: LogID) -> String {
        "travis-logs:aggregate:\(logID.rawValue)"
    }

    /// Aggregates one log.
    ///
    /// - Throws: `LogsError` with code `.underMaintenance`, or `.archiveMissing` when a purged log's
    ///   archived object cannot be found (its parts are kept), and the store's, archive's and
    ///   queue's errors.
    public func aggregate(logID: LogID) async throws -> Result {
        try await maintenance.checkAvailable()
        let result = try await lock.withLock(Self.lockKey(for: logID), ttl: lockTTL) {
            try await aggregateHoldingLock(logID: logID)
        }
        guard let result else {
            count("busy")
            logger.debug("aggregation already running", metadata: ["log_id": "\(logID)"])
            return .busy
        }
        return result
    }

    private func aggregateHoldingLock(logID: LogID) async throws -> Result {
        guard let log = try await store.log(id: logID) else {
            count("log_not_found")
            logger.warning("log to aggregate not found", metadata: ["log_id": "\(logID)"])
            return .logNotFound
        }
        if let waiting = try await waitForMissingParts(of: log) {
            return waiting
        }
        let started = ContinuousClock.now
        guard let outcome = try await aggregateMergingArchive(log) else {
            count("log_not_found")
            return .logNotFound
        }
        metrics.histogram("travis_logs_aggregation_seconds", help: "Time to aggregate one log.")
            .observe(ContinuousClock.now - started)
        count(outcome.partsUsed > 0 ? "aggregated" : "no_parts")
        logger.debug(
            "aggregated log",
            metadata: ["log_id": "\(logID)", "job_id": "\(log.jobID)", "parts": "\(outcome.partsUsed)"])

        if archivesLogs, needsArchiving(outcome) {
            try await queue.push(JobPayload.archive(logID).makeJob(at: clock.now()))
        }
        return .aggregated(outcome)
    }

    /// Returns `.waitingForParts` when the log was never aggregated, its part numbers have a gap,
    /// and its newest part is younger than `missingPartsWait`.
    ///
    /// Only the first aggregation waits: later parts are appended to existing content anyway.
    /// The number `last` (2147483647) of a final part is not a gap.
    private func waitForMissingParts(of log: Log) async throws -> Result? {
        guard missingPartsWait > .zero, log.content == nil, log.aggregatedAt == nil, log.purgedAt == nil else {
            return nil
        }
        let parts = try await store.logParts(logID: log.id, query: LogPartsQuery(includesContent: false))
        let numbers = Set(parts.map(\.number).filter { $0 != PartNumber.lastValue }).sorted()
        guard let lowest = numbers.first, let highest = numbers.last, let newest = parts.map(\.createdAt).max() else {
            return nil
        }
        let missing = highest - lowest + 1 - numbers.count
        let waited = clock.now().timeIntervalSince(newest)
        let remaining = missingPartsWait.timeInterval - waited
        guard missing > 0, remaining > 0 else {
            if missing > 0 {
                count("missing_parts_given_up")
                logger.warning(
                    "aggregating a log with missing parts",
                    metadata: ["log_id": "\(log.id)", "job_id": "\(log.jobID)", "missing": "\(missing)"])
            }
            return nil
        }
        count("waiting_for_parts")
        logger.info(
            "waiting for missing parts before aggregating",
            metadata: ["log_id": "\(log.id)", "job_id": "\(log.jobID)", "missing": "\(missing)"])
        return .waitingForParts(missing: missing, retryAfter: .seconds(min(max(remaining, 1), 5)))
    }

    /// Aggregates with the archived text when the log's content was purged.
    ///
    /// The log may be purged after it was read here; the store then refuses with
    /// `.archivedContentRequired`, and the aggregation runs again with the archived text.
    private func aggregateMergingArchive(_ log: Log) async throws -> AggregationOutcome? {
        let archivedContent = try await archivedContentToMerge(for: log)
        do {
            return try await store.aggregate(logID: log.id, archivedContent: archivedContent, at: clock.now())
        } catch let error as LogsError where error.code == .archivedContentRequired {
            logger.info("log was purged during aggregation; merging its archive", metadata: ["log_id": "\(log.id)"])
            let archived = try await fetchArchivedContent(of: log)
            return try await store.aggregate(logID: log.id, archivedContent: archived, at: clock.now())
        }
    }

    /// Returns the archived text of a log whose content was purged, when there are parts to add.
    private func archivedContentToMerge(for log: Log) async throws -> String? {
        guard log.content == nil, log.purgedAt != nil else { return nil }
        let pending = try await store.logParts(logID: log.id, query: LogPartsQuery(includesContent: false))
        guard !pending.isEmpty else { return nil }
        return try await fetchArchivedContent(of: log)
    }

    private func fetchArchivedContent(of log: Log) async throws -> String {
        guard let data = try await archive.content(jobID: log.jobID) else {
            count("archive_missing")
            throw LogsError(
                .archiveMissing,
                "log \(log.id) of job \(log.jobID) was purged but \(ArchiveKey.key(for: log.jobID)) is missing; "
                    + "its new parts are kept until the archive is restored")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func needsArchiving(_ outcome: AggregationOutcome) -> Bool {
        if outcome.partsUsed > 0 { return true }
        let hasContent = !(outcome.log.content ?? "").isEmpty
        return hasContent && outcome.log.isArchiveVerified != true
    }

    private func count(_ result: String) {
        metrics.counter("travis_logs_aggregations_total", labels: ["result": result], help: "Aggregations by result.")
            .increment()
    }
}
