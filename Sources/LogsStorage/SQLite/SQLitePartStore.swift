import Foundation
import LogsCore

/// The embedded `PartStore`: the logs schema in one SQLite file, with the behaviour of
/// `PostgresPartStore`.
///
/// Opening the file creates the schema when it is new (see `SQLiteSchema`). Several stores, in
/// one process or several, may use the same file: every write runs in a `BEGIN IMMEDIATE`
/// transaction, so writers take turns (each waits up to the busy timeout), while readers go on
/// thanks to WAL mode. Each store has one connection, so its own calls run one at a time.
/// Call `close()` when done; a store that is released unclosed closes its file then.
public final class SQLitePartStore: PartStore {
    /// The connection, for statements this type does not offer.
    public let connection: SQLiteConnection
    public let path: String

    /// Opens or creates the database file and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - path: the database file; its folder must exist.
    ///   - busyTimeout: how long a statement waits for another connection's write lock.
    /// - Throws: `SQLiteError` with code `.openFailed`, `.unsupportedSchema` when the file comes
    ///   from a newer build, or `.busy` when another writer held the lock throughout.
    public init(path: String, busyTimeout: Duration = .seconds(10)) async throws {
        self.path = path
        connection = try await SQLiteConnection(path: path, busyTimeout: busyTimeout)
        do {
            try await connection.run { try SQLiteSchema.migrate(on: $0) }
        } catch {
            await connection.close()
            throw error
        }
    }

    public func close() async {
        await connection.close()
    }

    public func findOrCreateLog(jobID: JobID, at date: Date) async throws -> LogID {
        try await connection.run { connection in
            let job: SQLiteValue = .integer(jobID.rawValue)
            if let id = try Self.firstID(connection.query(SQLiteStatements.logIDForJobID, [job])) { return id }
            if let id = try Self.firstID(connection.query(SQLiteStatements.createLog, [job, .timestamp(date)])) {
                return id
            }
            // Another connection created the row between the two statements.
            if let id = try Self.firstID(connection.query(SQLiteStatements.logIDForJobID, [job])) { return id }
            throw SQLiteError(
                .unexpectedResult, "no log row for job \(jobID) after creating it",
                statementName: SQLiteStatements.createLog.name)
        }
    }

    public func logID(forJobID jobID: JobID) async throws -> LogID? {
        let rows = try await query(SQLiteStatements.logIDForJobID, [.integer(jobID.rawValue)])
        return try Self.firstID(rows)
    }

    public func log(id: LogID) async throws -> Log? {
        try await query(SQLiteStatements.logByID, [.integer(id.rawValue)]).first.map(Self.log(from:))
    }

    public func log(jobID: JobID) async throws -> Log? {
        try await query(SQLiteStatements.logByJobID, [.integer(jobID.rawValue)]).first.map(Self.log(from:))
    }

    /// Inserts the parts in one transaction, so either all of them are stored or none.
    public func insertParts(_ parts: [NewLogPart], at date: Date) async throws {
        guard !parts.isEmpty else { return }
        let createdAt: SQLiteValue = .timestamp(date)
        try await connection.run { connection in
            try connection.withTransaction { connection in
                for part in parts {
                    try connection.query(
                        SQLiteStatements.insertPart,
                        [
                            .integer(part.logID.rawValue), .integer(Int64(part.number)), .text(part.content),
                            .boolean(part.isFinal), createdAt,
                        ])
                }
            }
        }
    }

    public func setArchiving(logID: LogID, _ isArchiving: Bool, at date: Date) async throws {
        try await query(SQLiteStatements.setArchiving, [.integer(logID.rawValue), .boolean(isArchiving)])
    }

    public func markArchiveVerified(logID: LogID, at date: Date) async throws {
        try await query(SQLiteStatements.markArchiveVerified, [.integer(logID.rawValue), .timestamp(date)])
    }

    public func markNotArchived(logID: LogID, at date: Date) async throws {
        try await query(SQLiteStatements.markNotArchived, [.integer(logID.rawValue)])
    }

    /// Purges in one write transaction: SQLite has no `md5()`, so the content is read and hashed
    /// here while the write lock keeps it from changing.
    public func purge(logID: LogID, expectedContentMD5: String, at date: Date) async throws -> Bool {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                let id: SQLiteValue = .integer(logID.rawValue)
                guard let row = try connection.query(SQLiteStatements.logContent, [id]).first else { return false }
                let content = try row.text("content") ?? ""
                guard MD5.hexDigest(of: Array(content.utf8)) == expectedContentMD5 else { return false }
                try connection.query(SQLiteStatements.purge, [id, .timestamp(date)])
                return true
            }
        }
    }

    public func aggregatableLogIDs(finalBefore: Date, anyBefore: Date, limit: Int) async throws -> [LogID] {
        let rows = try await query(
            SQLiteStatements.aggregatableLogIDs,
            [.timestamp(finalBefore), .timestamp(anyBefore), .integer(Int64(limit))])
        return try rows.map { LogID(try $0.requiredInteger("log_id")) }
    }

    public func logParts(logID: LogID, query partsQuery: LogPartsQuery) async throws -> [StoredLogPart] {
        let statement = partsQuery.includesContent ? SQLiteStatements.logParts : SQLiteStatements.logPartsWithoutContent
        let rows = try await query(
            statement,
            [
                .integer(logID.rawValue), .integer(partsQuery.after.map(Int64.init)),
                .integers(partsQuery.numbers.map(Int64.init)),
            ])
        return try rows.map(Self.part(from:))
    }

    /// Does nothing: `log_parts` is one table in SQLite, kept small by aggregation deleting parts.
    public func runPartitionMaintenance() async throws {}

    /// Runs one statement on the connection's thread.
    @discardableResult
    func query(_ statement: SQLiteStatement, _ parameters: [SQLiteValue]) async throws -> [SQLiteRow] {
        try await connection.run { try $0.query(statement, parameters) }
    }

    static func firstID(_ rows: [SQLiteRow]) throws -> LogID? {
        try rows.first.map { LogID(try $0.requiredInteger("id")) }
    }
}
