import Foundation
import LogsCore

extension PostgresPartStore {
    /// Aggregates in one transaction, joining the parts in Swift with the rules of `LogAggregation.plan`.
    ///
    /// The join cannot run in SQL: stored parts carry escaped edge bytes (see `PartContent`) that
    /// only the Swift join turns back into whole characters. The log row stays locked until
    /// commit, so two aggregations of one log run one after the other, and only the parts the
    /// transaction deleted and returned are joined. It takes the five round trips of
    /// `aggregate(_:at:)`, which this calls with one log.
    public func aggregate(logID: LogID, archivedContent: String?, at date: Date) async throws -> AggregationOutcome? {
        let request = AggregationRequest(logID: logID, archivedContent: archivedContent)
        let compression = try await compressionForContent()
        let results = try await client.withTransaction { connection in
            try Self.aggregate([request], compression: compression, at: date, on: connection)
        }
        return try results[logID]?.get() ?? nil
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

    private static func requiredLog(_ rows: PostgresRows, statement: PostgresStatement) throws -> Log {
        guard let row = rows.rows.first else {
            throw PostgresError(.unexpectedResult, "the updated log row was not returned", queryName: statement.name)
        }
        return try log(from: row)
    }
}
