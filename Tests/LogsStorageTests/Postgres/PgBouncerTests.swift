import Foundation
import LogsCore
import LogsStorage
import Testing

/// The store behind PgBouncer in transaction pooling mode, with unnamed statements only, as the
/// original service runs in production.
@Suite(
    "PgBouncer transaction pooling",
    .enabled(if: PostgresTestEnvironment.isPgBouncerConfiguredOrCI, "PGBOUNCER_URL is not set"))
struct PgBouncerTests {
    static let missingPgBouncerMessage: Comment = "PGBOUNCER_URL is not set; script/test starts PgBouncer and sets it"

    @Test("conformance check through PgBouncer", arguments: PartStoreConformance.checkNames)
    func conformance(check: String) async throws {
        let pgbouncer = try #require(PostgresTestEnvironment.pgbouncerURL, Self.missingPgBouncerMessage)
        try await withDatabase(.full, serverURL: pgbouncer) { database in
            let client = database.makeClient(usesNamedStatements: false)
            defer { Task { await client.close() } }
            try await PartStoreConformance.run(check) { PostgresPartStore(client: client) }
        }
    }

    @Test("transaction gets session settings")
    func sessionSettings() async throws {
        let pgbouncer = try #require(PostgresTestEnvironment.pgbouncerURL, Self.missingPgBouncerMessage)
        try await withDatabase(.empty, serverURL: pgbouncer) { database in
            let client = PostgresClient(
                configuration: PostgresConfiguration(
                    url: database.url, applicationName: "travis-logs-bouncer", statementTimeout: .milliseconds(1500),
                    usesNamedStatements: false))
            defer { Task { await client.close() } }
            let settings = PostgresStatement(
                name: "test_settings",
                sql:
                    "SELECT current_setting('application_name') AS name, current_setting('statement_timeout') AS timeout"
            )
            let row = try #require(try await client.withTransaction { try $0.query(settings) }.rows.first)
            #expect(try row.text("name") == "travis-logs-bouncer")
            #expect(try row.text("timeout") == "1500ms")
        }
    }

    @Test("concurrent writers through PgBouncer create one row")
    func concurrentWriters() async throws {
        let pgbouncer = try #require(PostgresTestEnvironment.pgbouncerURL, Self.missingPgBouncerMessage)
        try await withDatabase(.full, serverURL: pgbouncer) { database in
            let clients = (0..<4).map { _ in database.makeClient(usesNamedStatements: false, maximumConnections: 4) }
            defer { Task { for client in clients { await client.close() } } }
            let stores = clients.map { PostgresPartStore(client: $0) }
            let now = Date(timeIntervalSince1970: 1_780_000_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<24 {
                    let store = stores[writer % stores.count]
                    group.addTask {
                        let logID = try await store.findOrCreateLog(jobID: JobID(9), at: now)
                        let part = NewLogPart(logID: logID, number: writer, content: "\(writer) ", isFinal: false)
                        try await store.insertParts([part], at: now)
                    }
                }
                try await group.waitForAll()
            }
            let logID = try #require(try await stores[0].logID(forJobID: JobID(9)))
            let outcome = try await stores[0].aggregate(logID: logID, archivedContent: nil, at: now)
            #expect(outcome?.log.content == (0..<24).map { "\($0) " }.joined())
            let rows = try await stores[0].client.query(
                PostgresStatement(name: "test_count", sql: "SELECT count(*) AS count FROM logs WHERE job_id = 9"))
            #expect(try rows.rows.first?.integer("count") == 1)
        }
    }
}
