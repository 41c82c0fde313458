import Foundation
import LogsCore
import Synchronization

/// The production `PartStore`: the logs schema in PostgreSQL, through libpq.
///
/// Needs the `db/` sqitch project deployed up to `logs_job_id_unique`, whose unique index makes
/// find-or-create race-free; the partitioning change after it is optional. Each method leases one
/// connection and runs its statements in one hop onto that connection's thread. A connection that
/// drops is replaced and the method runs once more. A repeated insert can store parts twice, and
/// aggregation tolerates that because it keeps the first copy of each part number.
public final class PostgresPartStore: PartStore {
    public let client: PostgresClient
    private let versionReader: LogRowVersionReader
    private let partInserts: PartInserts
    /// The `default_toast_compression` for aggregated content, looked up on the first aggregation.
    let contentCompression = Mutex<String?>(nil)

    public init(client: PostgresClient) {
        self.client = client
        self.versionReader = LogRowVersionReader(client: client)
        self.partInserts = PartInserts(client: client)
    }

    public convenience init(configuration: PostgresConfiguration, logger: Logger) {
        self.init(client: PostgresClient(configuration: configuration, logger: logger))
    }

    public func findOrCreateLog(jobID: JobID, at date: Date) async throws -> LogID {
        try await client.withConnection { connection in
            try Self.findOrCreateLog(jobID: jobID, at: date, on: connection)
        }
    }

    /// Finds and creates the logs with one statement, then reads any job id it missed because a
    /// concurrent writer created its log meanwhile, as `findOrCreateLog(jobID:at:)` does.
    public func findOrCreateLogs(jobIDs: [JobID], at date: Date) async throws -> [JobID: LogID] {
        guard !jobIDs.isEmpty else { return [:] }
        return try await client.withConnection { connection in
            let rows = try connection.query(
                PartStoreStatements.findOrCreateLogs, [.integers(jobIDs.map(\.rawValue)), .timestamp(date)])
            var logIDs: [JobID: LogID] = [:]
            for row in rows.rows {
                logIDs[JobID(try row.requiredInteger("job_id"))] = LogID(try row.requiredInteger("id"))
            }
            for jobID in Set(jobIDs).sorted() where logIDs[jobID] == nil {
                logIDs[jobID] = try Self.findOrCreateLog(jobID: jobID, at: date, on: connection)
            }
            return logIDs
        }
    }

    public func logID(forJobID jobID: JobID) async throws -> LogID? {
        let rows = try await client.query(PartStoreStatements.logIDForJobID, [.integer(jobID.rawValue)])
        return try rows.rows.first.map { LogID(try $0.requiredInteger("id")) }
    }

    public func log(id: LogID) async throws -> Log? {
        let rows = try await client.query(PartStoreStatements.logByID, [.integer(id.rawValue)])
        return try rows.rows.first.map(Self.log(from:))
    }

    public func log(jobID: JobID) async throws -> Log? {
        let rows = try await client.query(PartStoreStatements.logByJobID, [.integer(jobID.rawValue)])
        return try rows.rows.first.map(Self.log(from:))
    }

    /// Returns the row's `xmin` as its version, read together with those of concurrent callers.
    ///
    /// Transaction ids wrap around after 2^32 transactions, so a version read that long ago may
    /// equal a new one. Callers that keep versions must drop them well before that.
    public func logRowVersion(id: LogID) async throws -> LogRowVersion? {
        try await versionReader.version(.id(id.rawValue))
    }

    /// Returns the row's `xmin` as its version, as `logRowVersion(id:)` does.
    public func logRowVersion(jobID: JobID) async throws -> LogRowVersion? {
        try await versionReader.version(.jobID(jobID.rawValue))
    }

    /// Reads the row's `xmin` in the next batch of version reads and calls `completion` on the
    /// thread of the connection that ran the batch.
    public func readLogRowVersion(
        _ lookup: LogFetcher.Lookup, completion: @escaping @Sendable (Result<LogRowVersion?, any Error>) -> Void
    ) {
        switch lookup {
        case .id(let logID): versionReader.version(.id(logID.rawValue), completion: completion)
        case .jobID(let jobID): versionReader.version(.jobID(jobID.rawValue), completion: completion)
        }
    }

    /// Inserts parts with one `COPY`, together with the parts of concurrent callers (see
    /// `PartInserts`).
    ///
    /// - Throws: `PostgresError` with code `.rowRejected`, naming the log id and part number, when
    ///   a part contains a NUL byte (checked before sending, because PostgreSQL text cannot store
    ///   one) or the server rejects its row, such as a number outside PostgreSQL's `integer` range.
    ///   No part of the batch is stored then.
    public func insertParts(_ parts: [NewLogPart], at date: Date) async throws {
        guard !parts.isEmpty else { return }
        try await partInserts.insert(parts, at: date)
    }

    public func setArchiving(logID: LogID, _ isArchiving: Bool, at date: Date) async throws {
        try await client.query(PartStoreStatements.setArchiving, [.integer(logID.rawValue), .boolean(isArchiving)])
    }

    public func markArchiveVerified(logID: LogID, at date: Date) async throws {
        try await client.query(PartStoreStatements.markArchiveVerified, [.integer(logID.rawValue), .timestamp(date)])
    }

    public func markNotArchived(logID: LogID, at date: Date) async throws {
        try await client.query(PartStoreStatements.markNotArchived, [.integer(logID.rawValue)])
    }

    public func purge(logID: LogID, expectedContentMD5: String, at date: Date) async throws -> Bool {
        let rows = try await client.query(
            PartStoreStatements.purge, [.integer(logID.rawValue), .timestamp(date), .text(expectedContentMD5)])
        return rows.affectedRows == 1
    }

    /// Finds the job's log or creates it, on a connection the caller holds.
    ///
    /// The insert does nothing when another writer created the row first. The second select then
    /// returns that row, because as a new statement it reads a new snapshot.
    static func findOrCreateLog(jobID: JobID, at date: Date, on connection: isolated PostgresConnection) throws -> LogID
    {
        let job: PostgresValue = .integer(jobID.rawValue)
        if let id = try firstID(connection.query(PartStoreStatements.logIDForJobID, [job])) { return id }
        if let id = try firstID(connection.query(PartStoreStatements.createLog, [job, .timestamp(date)])) { return id }
        if let id = try firstID(connection.query(PartStoreStatements.logIDForJobID, [job])) { return id }
        throw PostgresError(
            .unexpectedResult, "no log row for job \(jobID) after creating it",
            queryName: PartStoreStatements.createLog.name)
    }

    private static func firstID(_ rows: PostgresRows) throws -> LogID? {
        try rows.rows.first.map { LogID(try $0.requiredInteger("id")) }
    }
}
