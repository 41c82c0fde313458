import Foundation
import LogsCore

extension PostgresPartStore {
    /// Aggregates in one transaction, joining the parts in Swift with `LogAggregation.plan`.
    ///
    /// The join cannot run in SQL: stored parts carry escaped edge bytes (see `PartContent`) that
    /// only the Swift join turns back into whole characters. The log row stays locked until
    /// commit, so two aggregations of one log run one after the other, and only the parts read
    /// here are deleted.
    public func aggregate(logID: LogID, archivedContent: String?, at date: Date) async throws -> AggregationOutcome? {
        try await client.withTransaction { connection in
            try Self.aggregate(logID: logID, archivedContent: archivedContent, at: date, on: connection)
        }
    }

    public func aggregatedOnDemand(logID: LogID) async throws -> String {
        let rows = try await client.query(PartStoreStatements.partsInAggregationOrder, [.integer(logID.rawValue)])
        let parts = try rows.rows.map(Self.part(from:))
        return LogAggregation.plan(base: nil, parts: parts).content
    }

    public func setContent(_ updates: [LogContentUpdate], at date: Date) async throws -> [Log] {
        try await client.withTransaction { connection in
            try updates.map { update in
                let logID = try Self.findOrCreateLog(jobID: update.jobID, at: date, on: connection)
                let id: PostgresValue = .integer(logID.rawValue)
                let content = update.content?.isEmpty == false ? update.content : nil
                try connection.query(PartStoreStatements.deleteAllParts, [id])
                let rows = try connection.query(
                    PartStoreStatements.setContent, [id, .text(content), .timestamp(date), .integer(update.removedBy)])
                return try Self.requiredLog(rows, statement: PartStoreStatements.setContent)
            }
        }
    }

    private static func aggregate(
        logID: LogID, archivedContent: String?, at date: Date, on connection: isolated PostgresConnection
    ) throws -> AggregationOutcome? {
        let id: PostgresValue = .integer(logID.rawValue)
        // NOTE: this takes 5 round trips (BEGIN, lock, parts, store, COMMIT), which limits the
        // store to about 600 to 900 logs/s on 2 shared cores. Reading the parts in the locking
        // statement would save one, but it is unsafe. After waiting for the lock, PostgreSQL
        // rechecks only the locked row and keeps the parts read before the wait, which a
        // concurrent aggregation may have deleted (PostgreSQL 15 documentation, "Read Committed
        // Isolation Level"). libpq's pipeline mode (BEGIN with the lock, then the store with
        // COMMIT) would save two round trips safely. `aggregate(_:at:)` takes the same five round
        // trips for a whole batch of logs.
        let locked = try connection.query(PartStoreStatements.lockLogForAggregation, [id]).rows
        guard let current = locked.first else { return nil }
        let content = try current.text("content")
        let parts = try connection.query(PartStoreStatements.partsInAggregationOrder, [id]).rows.map(part(from:))
        try LogAggregation.checkArchivedContent(
            content: content, isPurged: try current.boolean("purged") ?? false, archivedContent: archivedContent,
            partCount: parts.count, logID: logID)

        let usesArchive = content == nil && archivedContent != nil
        let plan = LogAggregation.plan(base: usesArchive ? archivedContent : content, parts: parts)
        let rows: PostgresRows
        if !parts.isEmpty || usesArchive {
            rows = try connection.query(
                PartStoreStatements.storeAggregatedContent,
                [id, .text(plan.content), .timestamp(date), .boolean(usesArchive), .integers(plan.usedPartIDs)])
        } else {
            rows = try connection.query(PartStoreStatements.markReadyForScan, [id, .timestamp(date)])
        }
        let log = try requiredLog(rows, statement: PartStoreStatements.storeAggregatedContent)
        let distinctNumbers = Set(parts.map(\.number)).count
        return AggregationOutcome(log: log, partsUsed: distinctNumbers, partsDeleted: plan.usedPartIDs.count)
    }

    private static func requiredLog(_ rows: PostgresRows, statement: PostgresStatement) throws -> Log {
        guard let row = rows.rows.first else {
            throw PostgresError(.unexpectedResult, "the updated log row was not returned", queryName: statement.name)
        }
        return try log(from: row)
    }
}
