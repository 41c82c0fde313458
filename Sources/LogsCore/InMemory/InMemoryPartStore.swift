import Foundation

/// A `PartStore` in memory, with the same behaviour as the database stores.
///
/// Good for unit tests and for embedding the pipeline without a database. Nothing survives the
/// process.
public actor InMemoryPartStore: PartStore {
    private var logs: [LogID: Log] = [:] {
        didSet { logsRevision += 1 }
    }
    /// The row version of every log: it counts changes to any log, so it is coarser than a
    /// version per row but still changes whenever a row does.
    private var logsRevision: Int64 = 0
    private var logIDsByJobID: [JobID: LogID] = [:]
    private var partsByLogID: [LogID: [StoredLogPart]] = [:]
    private var nextLogID: Int64 = 1
    private var nextPartID: Int64 = 1
    private var aggregationHook: (@Sendable (LogID) async -> Void)?

    /// One row of the log scanner's `scan_tracker` table.
    public struct ScanTrackerEntry: Sendable, Hashable {
        public var logID: LogID
        public var scanStatus: String
        public var createdAt: Date
    }

    public private(set) var scanTracker: [ScanTrackerEntry] = []
    /// How many times partition maintenance ran.
    public private(set) var partitionMaintenanceRuns = 0
    /// How many times the statistics of `log_parts` were updated.
    public private(set) var logPartsAnalyzeRuns = 0

    public init() {}

    /// Sets a closure that `aggregate` awaits after reading the parts and before writing, so tests
    /// can insert parts while an aggregation runs.
    public func setAggregationHook(_ hook: (@Sendable (LogID) async -> Void)?) {
        aggregationHook = hook
    }

    /// Every part row of every log, for tests.
    public func allParts() -> [StoredLogPart] {
        partsByLogID.values.flatMap { $0 }.sorted { $0.id < $1.id }
    }

    /// The number of log rows, for tests.
    public func logCount() -> Int {
        logs.count
    }

    public func findOrCreateLog(jobID: JobID, at date: Date) -> LogID {
        if let existing = logIDsByJobID[jobID] { return existing }
        let id = LogID(nextLogID)
        nextLogID += 1
        logs[id] = Log(id: id, jobID: jobID, createdAt: date, updatedAt: date)
        logIDsByJobID[jobID] = id
        return id
    }

    public func logID(forJobID jobID: JobID) -> LogID? {
        logIDsByJobID[jobID]
    }

    public func log(id: LogID) -> Log? {
        logs[id]
    }

    public func log(jobID: JobID) -> Log? {
        logIDsByJobID[jobID].flatMap { logs[$0] }
    }

    public func logRowVersion(id: LogID) -> LogRowVersion? {
        logs[id] == nil ? nil : LogRowVersion(logID: id, revision: logsRevision)
    }

    public func logRowVersion(jobID: JobID) -> LogRowVersion? {
        logIDsByJobID[jobID].flatMap { logRowVersion(id: $0) }
    }

    public func insertParts(_ parts: [NewLogPart], at date: Date) {
        for part in parts {
            let stored = StoredLogPart(
                id: nextPartID, logID: part.logID, number: part.number, content: part.content,
                isFinal: part.isFinal, createdAt: date)
            nextPartID += 1
            partsByLogID[part.logID, default: []].append(stored)
        }
    }

    public func aggregate(logID: LogID, archivedContent: String?, at date: Date) async throws -> AggregationOutcome? {
        guard logs[logID] != nil else { return nil }
        let parts = orderedParts(of: logID)
        if let aggregationHook { await aggregationHook(logID) }

        guard var log = logs[logID] else { return nil }
        try LogAggregation.checkArchivedContent(
            content: log.content, isPurged: log.purgedAt != nil, archivedContent: archivedContent,
            partCount: parts.count, logID: logID)
        let usesArchive = log.content == nil && archivedContent != nil
        let plan = LogAggregation.plan(base: usesArchive ? archivedContent : log.content, parts: parts)
        let used = Set(plan.usedPartIDs)
        partsByLogID[logID]?.removeAll { used.contains($0.id) }

        if !parts.isEmpty || usesArchive {
            log.content = plan.content
            log.aggregatedAt = date
            log.updatedAt = date
            log.archivedAt = nil
            log.isArchiveVerified = false
        }
        if usesArchive { log.purgedAt = nil }
        log.scanStatus = "ready_for_scan"
        log.scanStatusUpdatedAt = date
        logs[logID] = log
        scanTracker.append(ScanTrackerEntry(logID: logID, scanStatus: "ready_for_scan", createdAt: date))
        let distinctNumbers = Set(parts.map(\.number)).count
        return AggregationOutcome(log: log, partsUsed: distinctNumbers, partsDeleted: used.count)
    }

    public func aggregatedOnDemand(logID: LogID) -> String {
        LogAggregation.plan(base: nil, parts: orderedParts(of: logID)).content
    }

    public func setContent(_ updates: [LogContentUpdate], at date: Date) -> [Log] {
        updates.map { update in
            let id = findOrCreateLog(jobID: update.jobID, at: date)
            var log = logs[id]!
            let content = update.content?.isEmpty == false ? update.content : nil
            log.content = content
            log.aggregatedAt = content == nil ? nil : date
            log.archivedAt = nil
            log.isArchiveVerified = nil
            log.purgedAt = nil
            log.updatedAt = date
            log.removedBy = update.removedBy
            log.removedAt = update.removedBy == nil ? nil : date
            logs[id] = log
            partsByLogID[id] = nil
            return log
        }
    }

    public func setArchiving(logID: LogID, _ isArchiving: Bool, at date: Date) {
        logs[logID]?.isArchiving = isArchiving
    }

    public func markArchiveVerified(logID: LogID, at date: Date) {
        logs[logID]?.archivedAt = date
        logs[logID]?.isArchiveVerified = true
    }

    public func markNotArchived(logID: LogID, at date: Date) {
        logs[logID]?.archivedAt = nil
        logs[logID]?.isArchiveVerified = false
    }

    public func purge(logID: LogID, expectedContentMD5: String, at date: Date) -> Bool {
        guard var log = logs[logID] else { return false }
        guard MD5.hexDigest(of: Array((log.content ?? "").utf8)) == expectedContentMD5 else { return false }
        log.content = nil
        log.purgedAt = date
        logs[logID] = log
        return true
    }

    public func aggregatableLogIDs(finalBefore: Date, anyBefore: Date, limit: Int) -> [LogID] {
        var result: [LogID] = []
        for part in allParts()
        where (part.isFinal && part.createdAt <= finalBefore) || part.createdAt <= anyBefore
            || (part.createdAt <= finalBefore && logs[part.logID]?.aggregatedAt != nil)
        {
            if !result.contains(part.logID) { result.append(part.logID) }
            if result.count == limit { break }
        }
        return result
    }

    public func logParts(logID: LogID, query: LogPartsQuery) -> [StoredLogPart] {
        let wanted = Set(query.numbers)
        return orderedParts(of: logID)
            .filter { query.after == nil || $0.number > query.after! }
            .filter { wanted.isEmpty || wanted.contains($0.number) }
            .map { part in
                var copy = part
                if !query.includesContent { copy.content = nil }
                return copy
            }
    }

    public func runPartitionMaintenance() {
        partitionMaintenanceRuns += 1
    }

    /// Counts the call; memory has no planner statistics to update.
    public func analyzeLogParts() {
        logPartsAnalyzeRuns += 1
    }

    private func orderedParts(of logID: LogID) -> [StoredLogPart] {
        (partsByLogID[logID] ?? []).sorted { ($0.number, $0.id) < ($1.number, $1.id) }
    }
}
