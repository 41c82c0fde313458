import Foundation

/// Reads logs and parts for the API: `GET /logs/:id`, `GET /logs/:job_id/id` and
/// `GET /log-parts/:job_id`.
///
/// Unaggregated logs are aggregated on demand for the response, without changing them. Ignored ids
/// get the "temporarily unavailable" stand-in; ids below the archive-spoofing minimums get an
/// empty, archived-looking one.
public struct LogFetcher: Sendable {
    public enum Lookup: Sendable, Hashable {
        case jobID(JobID)
        case id(LogID)
    }

    /// The result of a parts request.
    public enum PartsResult: Sendable, Hashable {
        /// The parts, content as valid text (nil when content was not requested).
        case parts([StoredLogPart])
        /// `require_all` was set and some listed part is not stored.
        case missingParts
        case logNotFound
    }

    public struct Settings: Sendable {
        public var minimumAcceptedID: Int64
        public var minimumAcceptedJobID: Int64

        public init(minimumAcceptedID: Int64 = 0, minimumAcceptedJobID: Int64 = 0) {
            self.minimumAcceptedID = minimumAcceptedID
            self.minimumAcceptedJobID = minimumAcceptedJobID
        }
    }

    private let store: any PartStore
    private let logIDs: LogIDResolver
    private let ignoredIDs: any IgnoredIDs
    private let maintenance: any MaintenanceSwitch
    private let clock: any LogsClock
    private let settings: Settings

    public init(
        store: any PartStore, cache: any LogIDCache, ignoredIDs: any IgnoredIDs, maintenance: any MaintenanceSwitch,
        clock: any LogsClock, settings: Settings
    ) {
        self.store = store
        self.logIDs = LogIDResolver(store: store, cache: cache, clock: clock)
        self.ignoredIDs = ignoredIDs
        self.maintenance = maintenance
        self.clock = clock
        self.settings = settings
    }

    /// Fetches a log.
    ///
    /// - Returns: the log, a stand-in, or nil when there is no such log.
    public func fetch(_ lookup: Lookup, aggregateOnDemand: Bool = true) async throws -> FetchedLog? {
        switch lookup {
        case .jobID(let jobID):
            if try await ignoredIDs.isIgnored(jobID: jobID) { return unavailable(id: nil, jobID: jobID) }
            if jobID.rawValue < settings.minimumAcceptedJobID { return spoofed(id: nil, jobID: jobID) }
            guard let log = try await store.log(jobID: jobID) else { return nil }
            return try await present(log, aggregateOnDemand: aggregateOnDemand)
        case .id(let logID):
            if try await ignoredIDs.isIgnored(logID: logID) { return unavailable(id: logID, jobID: nil) }
            if logID.rawValue < settings.minimumAcceptedID { return spoofed(id: logID, jobID: nil) }
            guard let log = try await store.log(id: logID) else { return nil }
            return try await present(log, aggregateOnDemand: aggregateOnDemand)
        }
    }

    /// Returns the id of a job's log, or nil when it has none.
    public func logID(forJobID jobID: JobID) async throws -> LogID? {
        try await logIDs.existing(jobID)
    }

    /// Reads a job's parts.
    ///
    /// - Throws: `LogsError` with code `.underMaintenance` while the maintenance switch is on.
    public func parts(jobID: JobID, query: LogPartsQuery, requireAll: Bool) async throws -> PartsResult {
        try await maintenance.checkAvailable()
        guard let logID = try await logIDs.existing(jobID) else { return .logNotFound }
        let parts = try await store.logParts(logID: logID, query: query)
        if requireAll, !query.numbers.isEmpty, Set(parts.map(\.number)) != Set(query.numbers) {
            return .missingParts
        }
        return .parts(
            parts.map { part in
                var shown = part
                shown.content = part.content.map(PartContent.displayText(ofStoredText:))
                return shown
            })
    }

    private func present(_ log: Log, aggregateOnDemand: Bool) async throws -> FetchedLog {
        var content = log.content
        if aggregateOnDemand, log.aggregatedAt == nil || log.content == nil {
            let pending = try await store.aggregatedOnDemand(logID: log.id)
            let joined = (log.content ?? "") + pending
            content = joined.allSatisfy(\.isWhitespace) ? nil : joined
        }
        return FetchedLog(stored: log, content: content)
    }

    private func spoofed(id: LogID?, jobID: JobID?) -> FetchedLog {
        let now = clock.now()
        var log = FetchedLog(kind: .spoofedArchive, id: id, jobID: jobID)
        log.aggregatedAt = now.addingTimeInterval(-300)
        log.archivedAt = now.addingTimeInterval(-300)
        log.isArchiveVerified = true
        log.updatedAt = now
        return log
    }

    private func unavailable(id: LogID?, jobID: JobID?) -> FetchedLog {
        var log = spoofed(id: id, jobID: jobID)
        log.kind = .temporarilyUnavailable
        log.archivedAt = nil
        log.isArchiveVerified = false
        log.content = FetchedLog.temporarilyUnavailableText
        return log
    }
}
