import Foundation

/// The result of one aggregation.
public struct AggregationOutcome: Sendable, Hashable {
    /// The log after the aggregation.
    public var log: Log
    /// How many parts went into the content (after dropping repeated numbers).
    public var partsUsed: Int
    /// How many rows were deleted from `log_parts`, repeated numbers included.
    public var partsDeleted: Int

    public init(log: Log, partsUsed: Int, partsDeleted: Int) {
        self.log = log
        self.partsUsed = partsUsed
        self.partsDeleted = partsDeleted
    }
}

/// A version of one `logs` row: it changes whenever any column of the row changes.
///
/// Two reads that return equal versions returned the same row contents, so a response rendered
/// from the row may be served again while the version stays equal.
public struct LogRowVersion: Sendable, Hashable {
    public var logID: LogID
    /// An opaque counter the store chooses, such as PostgreSQL's `xmin`.
    public var revision: Int64

    public init(logID: LogID, revision: Int64) {
        self.logID = logID
        self.revision = revision
    }
}

/// The database of logs and log parts.
///
/// Implementations: `InMemoryPartStore` here, and PostgreSQL and SQLite stores in LogsStorage.
/// Every method is one transaction. Times are passed in so that the caller's clock decides them.
public protocol PartStore: Sendable {
    /// Returns the id of the job's log, creating the row if there is none.
    ///
    /// Concurrent callers for one job, in any number of processes, get the same id: there is never
    /// more than one `logs` row per job.
    func findOrCreateLog(jobID: JobID, at date: Date) async throws -> LogID

    /// Returns the ids of several jobs' logs, creating the rows that do not exist, with the same
    /// guarantee as `findOrCreateLog(jobID:at:)` for each job.
    ///
    /// The default implementation calls `findOrCreateLog(jobID:at:)` once per job, in job id order.
    func findOrCreateLogs(jobIDs: [JobID], at date: Date) async throws -> [JobID: LogID]

    func logID(forJobID jobID: JobID) async throws -> LogID?

    func log(id: LogID) async throws -> Log?

    func log(jobID: JobID) async throws -> Log?

    /// Returns the version of the log's row, without reading its content.
    ///
    /// Returns nil when there is no such log, or when the store has no cheap row version. The
    /// default implementation returns nil, so callers then read the row every time.
    func logRowVersion(id: LogID) async throws -> LogRowVersion?

    /// Returns the version of the job's log row, as `logRowVersion(id:)` does.
    func logRowVersion(jobID: JobID) async throws -> LogRowVersion?

    /// Reads the version of the looked-up log row, as `logRowVersion(id:)` and
    /// `logRowVersion(jobID:)` do, and calls `completion` with it once.
    ///
    /// The read starts after this call, so it sees every change committed before the call.
    /// `completion` runs on whatever thread has the result, never before this method returns, and
    /// must not block. Stores that read versions in batches call it from the thread that finished
    /// the batch, which spares callers a task per read. The default implementation starts a task
    /// that calls the async method.
    func readLogRowVersion(
        _ lookup: LogFetcher.Lookup, completion: @escaping @Sendable (Result<LogRowVersion?, any Error>) -> Void)

    /// Inserts parts in one round trip. Repeated numbers are stored too; aggregation keeps the first.
    func insertParts(_ parts: [NewLogPart], at date: Date) async throws

    /// Appends the log's parts to its content and deletes exactly the parts used.
    ///
    /// Parts are joined in number order, keeping the first stored copy of a repeated number (see
    /// `LogAggregation`). When the content is null and `archivedContent` is given (the log was
    /// purged after archiving), the parts are appended to `archivedContent` instead and
    /// `purged_at` is cleared. Sets `aggregated_at`, clears the archive flags when content
    /// changed, and hands the log to the log scanner (`scan_status = 'ready_for_scan'`, its
    /// timestamp, and a `scan_tracker` row). A part inserted while this runs is kept.
    ///
    /// - Returns: the outcome, or nil when there is no such log.
    /// - Throws: `LogsError` with code `.archivedContentRequired`, changing nothing, when the log
    ///   has parts, no content and `purged_at` set but `archivedContent` is nil (see
    ///   `LogAggregation.checkArchivedContent`).
    func aggregate(logID: LogID, archivedContent: String?, at date: Date) async throws -> AggregationOutcome?

    /// Aggregates several logs, each exactly as `aggregate(logID:archivedContent:at:)` does.
    ///
    /// A store may use one transaction for the whole batch. A log id repeated in `requests` is
    /// aggregated once, with its first request's archived content, and every entry of it gets that
    /// result. The default implementation aggregates one log after another.
    ///
    /// - Returns: one result per request, in request order: the outcome, nil when there is no such
    ///   log, or the `LogsError` with code `.archivedContentRequired` that left that log unchanged.
    /// - Throws: the store's errors that concern the whole batch, such as a lost connection. Some
    ///   logs may have been aggregated before the error, and aggregating them again is harmless.
    func aggregate(_ requests: [AggregationRequest], at date: Date) async throws -> [AggregationResult]

    /// Returns the content the log would have if aggregated now, without changing anything.
    func aggregatedOnDemand(logID: LogID) async throws -> String

    /// Replaces the content of each job's log in one transaction, creating logs as needed, and
    /// deletes their parts.
    ///
    /// Empty content is stored as null. Sets `aggregated_at` when there is content, `removed_by`
    /// and `removed_at` when `removedBy` is given, and clears `archived_at`, `archive_verified` and
    /// `purged_at`: the new text replaces the archived one, so later parts are not appended to the
    /// old archive (a restarted job's log is cleared this way).
    func setContent(_ updates: [LogContentUpdate], at date: Date) async throws -> [Log]

    func setArchiving(logID: LogID, _ isArchiving: Bool, at date: Date) async throws

    /// Sets `archived_at` and `archive_verified = true`.
    func markArchiveVerified(logID: LogID, at date: Date) async throws

    /// Clears `archived_at` and sets `archive_verified = false`.
    func markNotArchived(logID: LogID, at date: Date) async throws

    /// Clears the content and sets `purged_at`, only if the content's MD5 still equals
    /// `expectedContentMD5` (lower-case hex), so text that changed after verification is kept.
    ///
    /// - Returns: whether the log was purged.
    func purge(logID: LogID, expectedContentMD5: String, at date: Date) async throws -> Bool

    /// Returns logs with a final part stored before `finalBefore`, or any part stored before
    /// `anyBefore`, or, when the log was aggregated already, any part stored before `finalBefore`,
    /// at most `limit` of them.
    ///
    /// The last kind are late parts: a part whose write was retried after the final part's
    /// aggregation would otherwise wait for `anyBefore` (hours) before it reaches the archive.
    func aggregatableLogIDs(finalBefore: Date, anyBefore: Date, limit: Int) async throws -> [LogID]

    /// Returns the log's parts ordered by number, then by insertion.
    func logParts(logID: LogID, query: LogPartsQuery) async throws -> [StoredLogPart]

    /// Creates and drops partitions of `log_parts`; a store without partitions does nothing.
    func runPartitionMaintenance() async throws

    /// Updates the query planner's statistics of `log_parts` after partition maintenance.
    ///
    /// `PartitionMaintenance` calls this after the maintenance switch is off, because updating
    /// statistics blocks neither reads nor writes. A store without planner statistics does nothing,
    /// which is also the default implementation.
    func analyzeLogParts() async throws
}

extension PartStore {
    public func analyzeLogParts() async throws {}

    public func logRowVersion(id: LogID) async throws -> LogRowVersion? { nil }

    public func logRowVersion(jobID: JobID) async throws -> LogRowVersion? { nil }

    public func readLogRowVersion(
        _ lookup: LogFetcher.Lookup, completion: @escaping @Sendable (Result<LogRowVersion?, any Error>) -> Void
    ) {
        Task {
            do {
                switch lookup {
                case .id(let logID): completion(.success(try await logRowVersion(id: logID)))
                case .jobID(let jobID): completion(.success(try await logRowVersion(jobID: jobID)))
                }
            } catch {
                completion(.failure(error))
            }
        }
    }

    public func findOrCreateLogs(jobIDs: [JobID], at date: Date) async throws -> [JobID: LogID] {
        var logIDs: [JobID: LogID] = [:]
        for jobID in Set(jobIDs).sorted() {
            logIDs[jobID] = try await findOrCreateLog(jobID: jobID, at: date)
        }
        return logIDs
    }
}

/// The joining rule every `PartStore` applies when aggregating.
public enum LogAggregation {
    /// Chooses the parts to aggregate and the content they make.
    ///
    /// - Parameters:
    ///   - base: the current content, or the archived content of a purged log.
    ///   - parts: the log's parts ordered by number, then by id.
    /// - Returns: the new content and the ids of every part consumed, repeats included.
    public static func plan(base: String?, parts: [StoredLogPart]) -> (content: String, usedPartIDs: [Int64]) {
        var seenNumbers = Set<Int>()
        var texts: [String] = []
        for part in parts where seenNumbers.insert(part.number).inserted {
            texts.append(part.content ?? "")
        }
        return (PartContent.joined(texts, after: base ?? ""), parts.map(\.id))
    }

    /// Throws unless parts may be appended to the log as it is inside the store's transaction.
    ///
    /// A log purged after the aggregator decided it needed no archived text (a purge racing a late
    /// part) would otherwise get the late parts alone as its content, and archiving that would
    /// replace the archive with shorter text.
    ///
    /// - Throws: `LogsError` with code `.archivedContentRequired`.
    public static func checkArchivedContent(
        content: String?, isPurged: Bool, archivedContent: String?, partCount: Int, logID: LogID
    ) throws {
        guard content == nil, isPurged, archivedContent == nil, partCount > 0 else { return }
        throw LogsError(
            .archivedContentRequired,
            "log \(logID) was purged while its aggregation started; aggregate again with its archived text")
    }
}
