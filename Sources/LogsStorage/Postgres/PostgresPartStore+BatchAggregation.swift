import Foundation
import LogsCore

extension PostgresPartStore {
    /// Aggregates a batch of logs in one transaction of five round trips, however many logs it has.
    ///
    /// The transaction locks the log rows in id order, then reads their parts in a second
    /// statement, whose new snapshot includes every part committed before the locks were granted.
    /// A log that needs archived text it was not given is left unchanged and gets its error.
    public func aggregate(_ requests: [AggregationRequest], at date: Date) async throws -> [AggregationResult] {
        guard !requests.isEmpty else { return [] }
        var firstRequests: [LogID: AggregationRequest] = [:]
        for request in requests where firstRequests[request.logID] == nil {
            firstRequests[request.logID] = request
        }
        let unique = Array(firstRequests.values)
        let results = try await client.withTransaction { connection in
            try Self.aggregate(unique, at: date, on: connection)
        }
        return requests.map { results[$0.logID] ?? .success(nil) }
    }

    /// One locked log and what its aggregation stores.
    private struct PlannedAggregation {
        var logID: LogID
        var content: String?
        var changesContent: Bool
        var usesArchive: Bool
        var usedPartIDs: [Int64]
        var partsUsed: Int
    }

    private static func aggregate(
        _ requests: [AggregationRequest], at date: Date, on connection: isolated PostgresConnection
    ) throws -> [LogID: AggregationResult] {
        let ids: PostgresValue = .integers(requests.map(\.logID.rawValue))
        let locked = try connection.query(PartStoreStatements.lockLogsForAggregation, [ids]).rows
        guard !locked.isEmpty else { return [:] }
        let parts = try connection.query(PartStoreStatements.partsOfLogsInAggregationOrder, [ids]).rows
            .map(part(from:))
        let partsByLog = Dictionary(grouping: parts, by: \.logID)
        let archivedContents = Dictionary(uniqueKeysWithValues: requests.map { ($0.logID, $0.archivedContent) })

        var results: [LogID: AggregationResult] = [:]
        var plans: [PlannedAggregation] = []
        for row in locked {
            let logID = LogID(try row.requiredInteger("id"))
            do {
                plans.append(
                    try plan(
                        logID: logID, content: try row.text("content"), isPurged: try row.boolean("purged") ?? false,
                        archivedContent: archivedContents[logID] ?? nil, parts: partsByLog[logID] ?? []))
            } catch let error as LogsError where error.code == .archivedContentRequired {
                results[logID] = .failure(error)
            }
        }
        guard !plans.isEmpty else { return results }
        for (logID, outcome) in try store(plans, at: date, on: connection) {
            results[logID] = .success(outcome)
        }
        return results
    }

    private static func plan(
        logID: LogID, content: String?, isPurged: Bool, archivedContent: String?, parts: [StoredLogPart]
    ) throws -> PlannedAggregation {
        try LogAggregation.checkArchivedContent(
            content: content, isPurged: isPurged, archivedContent: archivedContent, partCount: parts.count,
            logID: logID)
        let usesArchive = content == nil && archivedContent != nil
        let changesContent = !parts.isEmpty || usesArchive
        let joined = LogAggregation.plan(base: usesArchive ? archivedContent : content, parts: parts)
        return PlannedAggregation(
            logID: logID, content: changesContent ? joined.content : content, changesContent: changesContent,
            usesArchive: usesArchive, usedPartIDs: joined.usedPartIDs, partsUsed: Set(parts.map(\.number)).count)
    }

    private static func store(
        _ plans: [PlannedAggregation], at date: Date, on connection: isolated PostgresConnection
    ) throws -> [(LogID, AggregationOutcome)] {
        let rows = try connection.query(
            PartStoreStatements.storeAggregatedContents,
            [
                .integers(plans.map(\.logID.rawValue)), .texts(plans.map { $0.changesContent ? $0.content : nil }),
                .booleans(plans.map(\.changesContent)), .booleans(plans.map(\.usesArchive)),
                .integers(plans.flatMap(\.usedPartIDs)), .timestamp(date),
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
            let outcome = AggregationOutcome(
                log: log, partsUsed: plan.partsUsed, partsDeleted: plan.usedPartIDs.count)
            return (plan.logID, outcome)
        }
    }
}
