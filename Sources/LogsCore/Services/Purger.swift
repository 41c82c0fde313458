import Foundation

/// Clears the database copy of archived logs: the `purge_log` step.
///
/// Content is cleared only when the archived object has the same length and MD5 as the content,
/// and only if the content has not changed since that check. On a mismatch or an archive error
/// the log is marked not archived and queued for archiving again.
public struct Purger: Sendable {
    public enum Result: Sendable, Hashable {
        case purged
        /// The content was already empty and an archived object exists.
        case alreadyPurged
        /// The archive did not match; the log was queued for archiving again.
        case requeuedForArchiving
        /// Neither content nor an archived object exists.
        case contentMissing
        /// The content changed after it was checked; nothing was purged.
        case contentChanged
        case logNotFound
    }

    private let store: any PartStore
    private let archive: any Archive
    private let queue: any JobQueue
    private let clock: any LogsClock
    private let logger: Logger
    private let metrics: MetricsRegistry

    public init(
        store: any PartStore, archive: any Archive, queue: any JobQueue, clock: any LogsClock, logger: Logger,
        metrics: MetricsRegistry
    ) {
        self.store = store
        self.archive = archive
        self.queue = queue
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    public func purge(logID: LogID) async throws -> Result {
        let result = try await purgeCounted(logID: logID)
        metrics.counter("travis_logs_purges_total", labels: ["result": "\(result)"], help: "Purges by result.")
            .increment()
        return result
    }

    private func purgeCounted(logID: LogID) async throws -> Result {
        guard let log = try await store.log(id: logID) else {
            logger.warning("log to purge not found", metadata: ["log_id": "\(logID)"])
            return .logNotFound
        }
        let metadata: Logger.Metadata = ["log_id": "\(log.id)", "job_id": "\(log.jobID)"]
        guard let content = log.content, !content.isEmpty else {
            return try await purgeEmpty(log, metadata: metadata)
        }

        let bytes = Array(content.utf8)
        let md5 = MD5.digest(of: bytes)
        let object: ArchivedObject?
        do {
            object = try await archive.objectInfo(jobID: log.jobID)
        } catch {
            logger.warning("reading archived object failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return try await requeue(log, metadata: metadata)
        }
        guard let object, object.contentLength == bytes.count, object.md5 == nil || object.md5 == md5 else {
            return try await requeue(log, metadata: metadata)
        }
        guard try await store.purge(logID: log.id, expectedContentMD5: MD5.hex(md5), at: clock.now()) else {
            logger.info("log changed before purging; kept", metadata: metadata)
            return .contentChanged
        }
        logger.debug("purged log", metadata: metadata)
        return .purged
    }

    private func purgeEmpty(_ log: Log, metadata: Logger.Metadata) async throws -> Result {
        guard try await archive.objectInfo(jobID: log.jobID) != nil else {
            logger.warning("log to purge has no content and no archive", metadata: metadata)
            return .contentMissing
        }
        try await store.markArchiveVerified(logID: log.id, at: clock.now())
        _ = try await store.purge(logID: log.id, expectedContentMD5: MD5.hexDigest(of: [UInt8]()), at: clock.now())
        return .alreadyPurged
    }

    private func requeue(_ log: Log, metadata: Logger.Metadata) async throws -> Result {
        try await store.markNotArchived(logID: log.id, at: clock.now())
        try await queue.push(JobPayload.archive(log.id).makeJob(at: clock.now()))
        logger.info("archive does not match the log; archiving again", metadata: metadata)
        return .requeuedForArchiving
    }
}
