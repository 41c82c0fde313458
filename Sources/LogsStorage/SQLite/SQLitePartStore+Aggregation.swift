import Foundation
import LogsCore

extension SQLitePartStore {
    /// Aggregates in one write transaction, joining the parts in Swift with `LogAggregation.plan`.
    ///
    /// The transaction holds the database's write lock from its start. So two aggregations of one
    /// log, from this store or another on the same file, run one after the other, and no part can
    /// be inserted between reading the parts and deleting the ones used.
    public func aggregate(logID: LogID, archivedContent: String?, at date: Date) async throws -> AggregationOutcome? {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                try Self.aggregate(logID: logID, archivedContent: archivedContent, at: date, on: connection)
            }
        }
    }

    public func aggregatedOnDemand(logID: LogID) async throws -> String {
        let rows = try await query(SQLiteStatements.partsInAggregationOrder, [.integer(logID.rawValue)])
        return LogAggregation.plan(base: nil, parts: try rows.map(Self.part(from:))).content
    }

    public func setContent(_ updates: [LogContentUpdate], at date: Date) async throws -> [Log] {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                try updates.map { try Self.setContent($0, at: date, on: connection) }
            }
        }
    }

    private static func setContent(
        _ update: LogContentUpdate, at date: Date, on connection: isolated SQLiteConnection
    ) throws -> Log {
        let job: SQLiteValue = .integer(update.jobID.rawValue)
        var logID = try firstID(connection.query(SQLiteStatements.logIDForJobID, [job]))
        if logID == nil {
            logID = try firstID(connection.query(SQLiteStatements.createLog, [job, .timestamp(date)]))
        }
        guard let logID else {
            throw SQLiteError(
                .unexpectedResult, "no log row for job \(update.jobID) after creating it",
                statementName: SQLiteStatements.createLog.name)
        }
        let id: SQLiteValue = .integer(logID.rawValue)
        let content = update.content?.isEmpty == false ? update.content : nil
        try connection.query(SQLiteStatements.deleteAllParts, [id])
        let rows = try connection.query(
            SQLiteStatements.setContent, [id, .text(content), .timestamp(date), .integer(update.removedBy)])
        return try requiredLog(rows, statement: SQLiteStatements.setContent)
    }

    private static func aggregate(
        logID: LogID, archivedContent: String?, at date: Date, on connection: isolated SQLiteConnection
    ) throws -> AggregationOutcome? {
        let id: SQLiteValue = .integer(logID.rawValue)
        guard let current = try connection.query(SQLiteStatements.logContent, [id]).first else { return nil }
        let content = try current.text("content")
        let parts = try connection.query(SQLiteStatements.partsInAggregationOrder, [id]).map(part(from:))
        try LogAggregation.checkArchivedContent(
            content: content, isPurged: try current.boolean("purged") ?? false, archivedContent: archivedContent,
            partCount: parts.count, logID: logID)

        let usesArchive = content == nil && archivedContent != nil
        let plan = LogAggregation.plan(base: usesArchive ? archivedContent : content, parts: parts)
        let rows: [SQLiteRow]
        if !parts.isEmpty || usesArchive {
            try connection.query(SQLiteStatements.deleteUsedParts, [id, .integers(plan.usedPartIDs)])
            rows = try connection.query(
                SQLiteStatements.storeAggregatedContent,
                [id, .text(plan.content), .timestamp(date), .boolean(usesArchive)])
        } else {
            rows = try connection.query(SQLiteStatements.markReadyForScan, [id, .timestamp(date)])
        }
        try connection.query(SQLiteStatements.insertScanTrackerRow, [id, .timestamp(date)])
        let log = try requiredLog(rows, statement: SQLiteStatements.storeAggregatedContent)
        let distinctNumbers = Set(parts.map(\.number)).count
        return AggregationOutcome(log: log, partsUsed: distinctNumbers, partsDeleted: plan.usedPartIDs.count)
    }

    private static func requiredLog(_ rows: [SQLiteRow], statement: SQLiteStatement) throws -> Log {
        guard let row = rows.first else {
            throw SQLiteError(.unexpectedResult, "the updated log row was not returned", statementName: statement.name)
        }
        return try log(from: row)
    }
}
