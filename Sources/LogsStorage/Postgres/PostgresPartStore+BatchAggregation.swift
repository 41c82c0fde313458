import Foundation
import LogsCore

extension PostgresPartStore {
    /// Aggregates a batch of logs in one transaction of five round trips, however many logs it has.
    ///
    /// The transaction locks the log rows in id order, then deletes their parts in a second
    /// statement, whose new snapshot includes every part committed before the locks were granted,
    /// and joins exactly the parts that statement returns. A log that needs archived text it was
    /// not given keeps its parts, is left unchanged and gets its error.
    public func aggregate(_ requests: [AggregationRequest], at date: Date) async throws -> [AggregationResult] {
        guard !requests.isEmpty else { return [] }
        var firstRequests: [LogID: AggregationRequest] = [:]
        for request in requests where firstRequests[request.logID] == nil {
            firstRequests[request.logID] = request
        }
        let unique = Array(firstRequests.values)
        let compression = try await compressionForContent()
        let results = try await client.withTransaction { connection in
            try Self.aggregate(unique, compression: compression, at: date, on: connection)
        }
        return requests.map { results[$0.logID] ?? .success(nil) }
    }

    /// Returns the TOAST compression method for aggregated content: `lz4` when the server has it,
    /// because `pglz` took about 11% of the backends' CPU time in a perf profile of
    /// `script/bench/postgres`, and `pglz` otherwise.
    ///
    /// NOTE: this overrides a `default_toast_compression` the server was configured with. A server
    /// built without LZ4 cannot decompress such content, for example one restored from a base
    /// backup of this server, while `pg_dump` writes it uncompressed.
    func compressionForContent() async throws -> String {
        if let known = contentCompression.withLock({ $0 }) { return known }
        let rows = try await client.query(PartStoreStatements.supportsLZ4Compression)
        let compression = try rows.rows.first?.boolean("supported") == true ? "lz4" : "pglz"
        contentCompression.withLock { $0 = compression }
        return compression
    }

    /// One locked log and what its aggregation stores.
    private struct PlannedAggregation {
        var logID: LogID
        var content: String?
        var changesContent: Bool
        var usesArchive: Bool
        var partsUsed: Int
        var partsDeleted: Int
    }

    /// A locked log row, as `lockLogsForAggregation` returns it.
    private struct LockedLog {
        var logID: LogID
        var content: String?
        var isPurged: Bool
        var archivedContent: String?

        /// True when the log was purged and the request brought no archived text, so parts
        /// cannot be appended to it (see `LogAggregation.checkArchivedContent`).
        var needsArchivedContent: Bool { content == nil && isPurged && archivedContent == nil }
    }

    /// Aggregates the requested logs on a connection that is inside a transaction.
    static func aggregate(
        _ requests: [AggregationRequest], compression: String, at date: Date,
        on connection: isolated PostgresConnection
    ) throws -> [LogID: AggregationResult] {
        let ids: PostgresValue = .integers(requests.map(\.logID.rawValue))
        let archivedContents = Dictionary(uniqueKeysWithValues: requests.map { ($0.logID, $0.archivedContent) })
        let lockParameters: [PostgresValue] = [ids, .text(compression)]
        let locked = try connection.query(PartStoreStatements.lockLogsForAggregation, lockParameters).rows.map { row in
            let logID = LogID(try row.requiredInteger("id"))
            return LockedLog(
                logID: logID, content: try row.text("content"), isPurged: try row.boolean("purged") ?? false,
                archivedContent: archivedContents[logID] ?? nil)
        }
        guard !locked.isEmpty else { return [:] }

        var results: [LogID: AggregationResult] = [:]
        var aggregated = locked
        let blocked = locked.filter(\.needsArchivedContent)
        if !blocked.isEmpty {
            // Such a log fails only when it has parts, which then stay in place for a retry with
            // the archived text. This costs one more round trip, only for a purged log whose
            // request has no archived text.
            let withParts = try logIDsWithParts(blocked.map(\.logID), on: connection)
            for log in blocked where withParts.contains(log.logID) {
                do {
                    try LogAggregation.checkArchivedContent(
                        content: log.content, isPurged: log.isPurged, archivedContent: log.archivedContent,
                        partCount: 1, logID: log.logID)
                } catch let error as LogsError {
                    results[log.logID] = .failure(error)
                }
            }
            aggregated.removeAll { results[$0.logID] != nil }
            guard !aggregated.isEmpty else { return results }
        }

        let deleted = try deleteParts(ofLogs: aggregated.map(\.logID), on: connection)
        let plans = aggregated.map { plan(for: $0, parts: deleted[$0.logID] ?? DeletedParts()) }
        for (logID, outcome) in try store(plans, at: date, on: connection) {
            results[logID] = .success(outcome)
        }
        return results
    }

    private static func logIDsWithParts(
        _ logIDs: [LogID], on connection: isolated PostgresConnection
    ) throws -> Set<LogID> {
        let ids: PostgresValue = .integers(logIDs.map(\.rawValue))
        let rows = try connection.query(PartStoreStatements.logIDsWithParts, [ids]).rows
        return Set(try rows.map { LogID(try $0.requiredInteger("log_id")) })
    }

    /// Deletes every part of the logs and returns them grouped by log.
    private static func deleteParts(ofLogs logIDs: [LogID], on connection: isolated PostgresConnection) throws
        -> [LogID: DeletedParts]
    {
        let ids: PostgresValue = .integers(logIDs.map(\.rawValue))
        let rows = try connection.query(PartStoreStatements.deletePartsForAggregation, [ids]).rows
        var partsByLog: [LogID: DeletedParts] = [:]
        for row in rows {
            let parts = try DeletedParts(
                ids: PostgresArrayText.integers(row.text("ids"), column: "ids"),
                numbers: PostgresArrayText.optionalIntegers(row.text("numbers"), column: "numbers"),
                lengths: PostgresArrayText.integers(row.text("lengths"), column: "lengths"),
                contents: row.text("contents") ?? "")
            let logID = LogID(try row.requiredInteger("log_id"))
            try parts.validate(logID: logID)
            partsByLog[logID] = parts
        }
        return partsByLog
    }

    private static func plan(for log: LockedLog, parts: DeletedParts) -> PlannedAggregation {
        let usesArchive = log.content == nil && log.archivedContent != nil
        let changesContent = !parts.ids.isEmpty || usesArchive
        let joined = parts.joined(after: (usesArchive ? log.archivedContent : log.content) ?? "")
        return PlannedAggregation(
            logID: log.logID, content: changesContent ? joined.content : log.content, changesContent: changesContent,
            usesArchive: usesArchive, partsUsed: joined.partsUsed, partsDeleted: parts.ids.count)
    }

    private static func store(
        _ plans: [PlannedAggregation], at date: Date, on connection: isolated PostgresConnection
    ) throws -> [(LogID, AggregationOutcome)] {
        let rows = try connection.query(
            PartStoreStatements.storeAggregatedContents,
            [
                .integers(plans.map(\.logID.rawValue)), .texts(plans.map { $0.changesContent ? $0.content : nil }),
                .booleans(plans.map(\.changesContent)), .booleans(plans.map(\.usesArchive)), .timestamp(date),
            ]
        ).rows
        var logs: [LogID: Log] = [:]
        for row in rows {
            let log = try log(from: row)
            logs[log.id] = log
        }
        return try plans.map { plan in
            guard var log = logs[plan.logID] else {
                throw PostgresError(
                    .unexpectedResult, "the updated row of log \(plan.logID) was not returned",
                    queryName: PartStoreStatements.storeAggregatedContents.name)
            }
            log.content = plan.content
            let outcome = AggregationOutcome(log: log, partsUsed: plan.partsUsed, partsDeleted: plan.partsDeleted)
            return (plan.logID, outcome)
        }
    }
}
