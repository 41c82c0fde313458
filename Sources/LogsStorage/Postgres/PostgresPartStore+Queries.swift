import Foundation
import LogsCore

extension PostgresPartStore {
    public func aggregatableLogIDs(finalBefore: Date, anyBefore: Date, limit: Int) async throws -> [LogID] {
        let rows = try await client.query(
            PartStoreStatements.aggregatableLogIDs,
            [.timestamp(finalBefore), .timestamp(anyBefore), .integer(Int64(limit))])
        return try rows.rows.map { LogID(try $0.requiredInteger("log_id")) }
    }

    public func logParts(logID: LogID, query: LogPartsQuery) async throws -> [StoredLogPart] {
        let statement =
            query.includesContent ? PartStoreStatements.logParts : PartStoreStatements.logPartsWithoutContent
        let rows = try await client.query(
            statement,
            [
                .integer(logID.rawValue), .integer(query.after.map(Int64.init)),
                .integers(query.numbers.map(Int64.init)),
            ])
        return try rows.rows.map(Self.part(from:))
    }
}
