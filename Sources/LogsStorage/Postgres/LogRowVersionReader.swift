import LogsCore

/// Reads the row versions of concurrent callers with one statement: a group commit for reads.
///
/// While one read is in flight, the lookups that arrive are collected, and the next read covers
/// them all. Every caller gets a result from a statement sent after its call began, so the result
/// includes every change committed before the call. With 64 concurrent `GET /logs/:id` requests,
/// one statement per batch instead of one per request saves round trips to the connection's thread
/// and the server.
final class LogRowVersionReader: Sendable {
    enum Lookup: Hashable, Sendable {
        case id(Int64)
        case jobID(Int64)
    }

    private let queue: GroupCommitQueue<Lookup, LogRowVersion?>

    /// - Parameter maximumBatchSize: the maximum number of lookups in one statement; more wait for
    ///   the next one.
    init(client: PostgresClient, maximumBatchSize: Int = 500) {
        queue = GroupCommitQueue(maximumBatchWeight: maximumBatchSize) { lookups in
            let versions = try await Self.read(Set(lookups), client: client)
            return lookups.map { versions[$0] }
        }
    }

    /// Returns the version of the looked-up row, or nil when there is no such row.
    ///
    /// - Throws: the error of the statement that carried the lookup.
    func version(_ lookup: Lookup) async throws -> LogRowVersion? {
        try await queue.submit(lookup)
    }

    private static func read(_ lookups: Set<Lookup>, client: PostgresClient) async throws -> [Lookup: LogRowVersion] {
        var ids: [Int64] = []
        var jobIDs: [Int64] = []
        for lookup in lookups {
            switch lookup {
            case .id(let id): ids.append(id)
            case .jobID(let jobID): jobIDs.append(jobID)
            }
        }
        let rows = try await client.query(PartStoreStatements.logVersions, [.integers(ids), .integers(jobIDs)])
        var versions: [Lookup: LogRowVersion] = [:]
        for row in rows.rows {
            let version = LogRowVersion(
                logID: LogID(try row.requiredInteger("id")), revision: try row.requiredInteger("version"))
            let isByJobID = try row.boolean("by_job_id") ?? false
            let key: Lookup = isByJobID ? .jobID(try row.requiredInteger("job_id")) : .id(version.logID.rawValue)
            versions[key] = version
        }
        return versions
    }
}
