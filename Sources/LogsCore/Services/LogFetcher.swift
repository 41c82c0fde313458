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

    /// The result of `fetch(_:aggregateOnDemand:unlessVersion:)`.
    public enum VersionedFetch: Sendable {
        /// The log's row still has the version the caller gave.
        case unchanged
        /// The log, a stand-in, or nil when there is no such log. `version` is the row version read
        /// before the row, set only when the log's JSON depends on that row alone: a stored log
        /// that is aggregated and has content, so no parts were read.
        case fetched(FetchedLog?, version: LogRowVersion?)
    }

    /// Fetches a log.
    ///
    /// - Returns: the log, a stand-in, or nil when there is no such log.
    public func fetch(_ lookup: Lookup, aggregateOnDemand: Bool = true) async throws -> FetchedLog? {
        if let standIn = try await standIn(for: lookup) { return standIn }
        guard let log = try await storedLog(lookup) else { return nil }
        return try await present(log, aggregateOnDemand: aggregateOnDemand)
    }

    /// Fetches a log unless its row still has the version `known`, for callers that keep what they
    /// rendered from a log.
    ///
    /// Ignored ids and ids below the minimums are checked first, as `fetch(_:aggregateOnDemand:)`
    /// does, so their stand-ins are never reported as unchanged. The version is read before the
    /// row, so the row returned is at least as new as the version returned with it. A caller that
    /// stores the two together never pairs a version with older content.
    public func fetch(_ lookup: Lookup, aggregateOnDemand: Bool = true, unlessVersion known: LogRowVersion?)
        async throws -> VersionedFetch
    {
        if let standIn = try await standIn(for: lookup) { return .fetched(standIn, version: nil) }
        let version = try await storedVersion(lookup)
        if let version, version == known { return .unchanged }
        guard let log = try await storedLog(lookup) else { return .fetched(nil, version: nil) }
        let dependsOnRowAlone = log.aggregatedAt != nil && log.content != nil && version?.logID == log.id
        let fetched = try await present(log, aggregateOnDemand: aggregateOnDemand)
        return .fetched(fetched, version: dependsOnRowAlone ? version : nil)
    }

    /// Checks whether the looked-up row still has the version `known`, without starting a task.
    ///
    /// The version is read after this call, as `fetch(_:aggregateOnDemand:unlessVersion:)` reads
    /// it, and `completion` gets true when it equals `known`. It gets false when the version
    /// differs or cannot be read, so the caller fetches the log as usual and reports any error
    /// then. `completion` runs on the thread that read the version, never before this method
    /// returns, and must not block.
    ///
    /// - Returns: false, without calling `completion`, when the id may have a stand-in: it is
    ///   ignored, below the minimums, or the ignored ids cannot be read without waiting.
    public func checkUnchanged(
        _ lookup: Lookup, version known: LogRowVersion, completion: @escaping @Sendable (Bool) -> Void
    ) -> Bool {
        guard hasNoStandInWithoutWaiting(lookup) else { return false }
        store.readLogRowVersion(lookup) { result in
            completion((try? result.get()) == known)
        }
        return true
    }

    /// Returns true when the lookup is known, without waiting, to get no stand-in.
    private func hasNoStandInWithoutWaiting(_ lookup: Lookup) -> Bool {
        switch lookup {
        case .jobID(let jobID):
            jobID.rawValue >= settings.minimumAcceptedJobID && ignoredIDs.isIgnoredWithoutWaiting(jobID: jobID) == false
        case .id(let logID):
            logID.rawValue >= settings.minimumAcceptedID && ignoredIDs.isIgnoredWithoutWaiting(logID: logID) == false
        }
    }

    /// Returns the stand-in of an ignored id or of an id below the minimums, or nil for others.
    private func standIn(for lookup: Lookup) async throws -> FetchedLog? {
        switch lookup {
        case .jobID(let jobID):
            if try await ignoredIDs.isIgnored(jobID: jobID) { return unavailable(id: nil, jobID: jobID) }
            if jobID.rawValue < settings.minimumAcceptedJobID { return spoofed(id: nil, jobID: jobID) }
        case .id(let logID):
            if try await ignoredIDs.isIgnored(logID: logID) { return unavailable(id: logID, jobID: nil) }
            if logID.rawValue < settings.minimumAcceptedID { return spoofed(id: logID, jobID: nil) }
        }
        return nil
    }

    private func storedLog(_ lookup: Lookup) async throws -> Log? {
        switch lookup {
        case .jobID(let jobID): try await store.log(jobID: jobID)
        case .id(let logID): try await store.log(id: logID)
        }
    }

    private func storedVersion(_ lookup: Lookup) async throws -> LogRowVersion? {
        switch lookup {
        case .jobID(let jobID): try await store.logRowVersion(jobID: jobID)
        case .id(let logID): try await store.logRowVersion(id: logID)
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
