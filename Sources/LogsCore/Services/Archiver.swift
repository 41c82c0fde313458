import Foundation

/// Uploads aggregated logs and proves the upload: the `archive` step.
///
/// The object is verified by length and, where the archive reports it, MD5, with bounded retries
/// and backoff. Only then is the log marked verified and, when purging is on, queued for purging
/// after `intervals.purge`.
public struct Archiver: Sendable {
    public enum Result: Sendable, Hashable {
        /// Stored and verified; the value is the object's length in bytes.
        case archived(bytes: Int)
        /// The log has no content, so nothing was stored.
        case empty
        case logNotFound
    }

    public struct Settings: Sendable {
        /// Attempts for the upload, and again for the verification.
        public var attempts: Int
        /// Whether verified logs are queued for purging.
        public var purgesLogs: Bool
        public var purgeDelay: Duration
        /// The wait before retry `n` is `n` times this.
        public var backoff: Duration

        public init(
            attempts: Int = 5, purgesLogs: Bool = false, purgeDelay: Duration = .seconds(6 * 3600),
            backoff: Duration = .seconds(1)
        ) {
            self.attempts = attempts
            self.purgesLogs = purgesLogs
            self.purgeDelay = purgeDelay
            self.backoff = backoff
        }
    }

    private let store: any PartStore
    private let archive: any Archive
    private let queue: any JobQueue
    private let clock: any LogsClock
    private let settings: Settings
    private let logger: Logger
    private let metrics: MetricsRegistry

    public init(
        store: any PartStore, archive: any Archive, queue: any JobQueue, clock: any LogsClock, settings: Settings,
        logger: Logger, metrics: MetricsRegistry
    ) {
        self.store = store
        self.archive = archive
        self.queue = queue
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    /// Archives one log.
    ///
    /// - Throws: `LogsError` with code `.archiveVerificationFailed` when the stored object never
    ///   matched, or the archive's last error; the log is then left unverified and not purged.
    public func archive(logID: LogID) async throws -> Result {
        guard let log = try await store.log(id: logID) else {
            count("log_not_found")
            logger.warning("log to archive not found", metadata: ["log_id": "\(logID)"])
            return .logNotFound
        }
        try await store.setArchiving(logID: logID, true, at: clock.now())
        do {
            let result = try await archive(log)
            try await store.setArchiving(logID: logID, false, at: clock.now())
            return result
        } catch {
            try? await store.setArchiving(logID: logID, false, at: clock.now())
            count("failed")
            throw error
        }
    }

    private func archive(_ log: Log) async throws -> Result {
        guard let content = log.content, !content.isEmpty else {
            count("empty")
            logger.warning("log to archive is empty", metadata: ["log_id": "\(log.id)", "job_id": "\(log.jobID)"])
            return .empty
        }
        let data = Data(content.utf8)
        let md5 = MD5.digest(of: data)
        let metadata: Logger.Metadata = ["log_id": "\(log.id)", "job_id": "\(log.jobID)"]

        try await retrying("store", metadata: metadata) {
            try await archive.store(data, jobID: log.jobID)
        }
        try await retrying("verify", metadata: metadata) {
            try await verify(jobID: log.jobID, length: data.count, md5: md5)
        }
        try await store.markArchiveVerified(logID: log.id, at: clock.now())
        count("archived")
        logger.debug("archived log", metadata: metadata)

        let now = clock.now()
        if settings.purgesLogs {
            try await queue.schedule(
                JobPayload.purge(log.id).makeJob(at: now), at: now.addingTimeInterval(settings.purgeDelay.timeInterval))
        }
        try await queue.push(JobPayload.timingInfo(log.jobID).makeJob(at: now))
        return .archived(bytes: data.count)
    }

    private func verify(jobID: JobID, length: Int, md5: [UInt8]) async throws {
        let object = try await archive.objectInfo(jobID: jobID)
        let key = ArchiveKey.key(for: jobID)
        guard let object else {
            throw LogsError(.archiveVerificationFailed, "\(key) is missing after upload")
        }
        guard object.contentLength == length else {
            throw LogsError(
                .archiveVerificationFailed, "\(key) has \(object.contentLength) bytes; expected \(length)")
        }
        if let stored = object.md5, stored != md5 {
            throw LogsError(
                .archiveVerificationFailed, "\(key) has MD5 \(MD5.hex(stored)); expected \(MD5.hex(md5))")
        }
    }

    private func retrying(
        _ step: String, metadata: Logger.Metadata, _ body: () async throws -> Void
    ) async throws {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch {
                guard attempt < settings.attempts else {
                    logger.error(
                        "archiving failed", metadata: metadata.merging(["step": "\(step)", "error": "\(error)"]) { $1 })
                    throw error
                }
                logger.warning(
                    "archiving failed, retrying",
                    metadata: metadata.merging(["step": "\(step)", "attempt": "\(attempt)", "error": "\(error)"]) { $1 }
                )
                try await clock.sleep(for: settings.backoff * attempt)
                attempt += 1
            }
        }
    }

    private func count(_ result: String) {
        metrics.counter("travis_logs_archives_total", labels: ["result": result], help: "Archive attempts by result.")
            .increment()
    }
}
