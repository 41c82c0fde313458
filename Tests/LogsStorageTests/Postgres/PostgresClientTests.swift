import Foundation
import LogsCore
import LogsStorage
import Testing

@Suite("PostgreSQL client", .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set"))
struct PostgresClientTests {
    static let selectOne = PostgresStatement(name: "test_select_one", sql: "SELECT $1::integer + 1 AS value")

    @Test("server error carries SQLSTATE and statement")
    func serverErrorCarriesSQLState() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let error = await #expect(throws: PostgresError.self) {
                try await client.query(
                    PostgresStatement(name: "test_divide", sql: "SELECT 1 / $1::integer"), [.integer(0)])
            }
            #expect(error?.code == .queryFailed)
            #expect(error?.sqlState == "22012")
            #expect(error?.queryName == "test_divide")
            #expect(error?.description.contains("division by zero") == true)
        }
    }

    @Test("parameters round trip")
    func parametersRoundTrip() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let date = Date(timeIntervalSince1970: 1_780_000_000.25)
            let rows = try await client.query(
                PostgresStatement(
                    name: "test_round_trip",
                    sql: "SELECT $1::text AS text, $2::bigint AS number, $3::boolean AS flag, $4::timestamp AS time, "
                        + "$5::text AS missing, cardinality($6::bigint[]) AS count"),
                [.text("tab\tquote' ✓"), .integer(-5), .boolean(true), .timestamp(date), .null, .integers([1, 2, 3])])
            let row = try #require(rows.rows.first)
            #expect(try row.text("text") == "tab\tquote' ✓")
            #expect(try row.integer("number") == -5)
            #expect(try row.boolean("flag") == true)
            #expect(try row.timestamp("time") == date)
            #expect(try row.text("missing") == nil)
            #expect(try row.integer("count") == 3)
        }
    }

    @Test("NUL byte rejected before sending")
    func nulByteRejected() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let error = await #expect(throws: PostgresError.self) {
                try await client.query(PostgresStatement(name: "test_text", sql: "SELECT $1::text"), [.text("a\u{0}b")])
            }
            #expect(error?.sqlState == "22021")
        }
    }

    @Test("session settings per connection", arguments: [true, false])
    func sessionSettings(namedStatements: Bool) async throws {
        try await withDatabase(.empty) { database in
            let client = PostgresClient(
                configuration: PostgresConfiguration(
                    url: database.url, applicationName: "travis-logs-settings", statementTimeout: .milliseconds(1500),
                    usesNamedStatements: namedStatements))
            defer { Task { await client.close() } }
            let settings = PostgresStatement(
                name: "test_settings",
                sql:
                    "SELECT current_setting('application_name') AS name, current_setting('statement_timeout') AS timeout"
            )
            let row = try #require(try await client.withTransaction { try $0.query(settings) }.rows.first)
            #expect(try row.text("name") == "travis-logs-settings")
            #expect(try row.text("timeout") == "1500ms")
        }
    }

    @Test("statement timeout cancels a long statement")
    func statementTimeout() async throws {
        try await withDatabase(.empty) { database in
            let client = PostgresClient(
                configuration: PostgresConfiguration(url: database.url, statementTimeout: .milliseconds(200)))
            defer { Task { await client.close() } }
            let error = await #expect(throws: PostgresError.self) {
                try await client.query(PostgresStatement(name: "test_sleep", sql: "SELECT pg_sleep(5)"))
            }
            #expect(error?.sqlState == "57014")
        }
    }

    @Test("named statements are prepared once per connection")
    func namedStatementsPreparedOnce() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient(maximumConnections: 1)
            defer { Task { await client.close() } }
            for value in 1...3 {
                let rows = try await client.query(Self.selectOne, [.integer(Int64(value))])
                #expect(try rows.rows.first?.integer("value") == Int64(value + 1))
            }
            let prepared = try await client.query(
                PostgresStatement(name: "test_prepared", sql: "SELECT count(*) AS count FROM pg_prepared_statements"))
            #expect(try prepared.rows.first?.integer("count") == 2)
        }
    }

    @Test("unnamed statements leave nothing prepared")
    func unnamedStatements() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient(usesNamedStatements: false, maximumConnections: 1)
            defer { Task { await client.close() } }
            try await client.query(Self.selectOne, [.integer(1)])
            let prepared = try await client.query(
                PostgresStatement(name: "test_prepared", sql: "SELECT count(*) AS count FROM pg_prepared_statements"))
            #expect(try prepared.rows.first?.integer("count") == 0)
        }
    }

    @Test("transaction rolls back when the body throws")
    func transactionRollsBack() async throws {
        try await withDatabase(.empty) { database in
            try await database.execute("CREATE TABLE items (name text)")
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let insert = PostgresStatement(name: "test_insert", sql: "INSERT INTO items VALUES ($1)")
            await #expect(throws: PostgresError.self) {
                try await client.withTransaction { connection in
                    try connection.query(insert, [.text("lost")])
                    try connection.query(PostgresStatement(name: "test_fail", sql: "SELECT 1 / 0"))
                }
            }
            try await client.withTransaction { try $0.query(insert, [.text("kept")]) }
            let rows = try await client.query(PostgresStatement(name: "test_names", sql: "SELECT name FROM items"))
            #expect(rows.values == [["kept"]])
        }
    }

    @Test("pool wait times out when every connection is leased")
    func poolWaitTimesOut() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient(maximumConnections: 1, connectionWaitTimeout: .milliseconds(300))
            defer { Task { await client.close() } }
            let holder = Task {
                try await client.query(PostgresStatement(name: "test_hold", sql: "SELECT pg_sleep(1.5)"))
            }
            try await Task.sleep(for: .milliseconds(300))
            let error = await #expect(throws: PostgresError.self) {
                try await client.query(Self.selectOne, [.integer(1)])
            }
            #expect(error?.code == .poolTimedOut)
            _ = try await holder.value
            #expect(try await client.query(Self.selectOne, [.integer(1)]).count == 1)
        }
    }

    @Test("waiter gets the connection released before its timeout")
    func waiterGetsReleasedConnection() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient(maximumConnections: 1, connectionWaitTimeout: .seconds(5))
            defer { Task { await client.close() } }
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await client.query(PostgresStatement(name: "test_short", sql: "SELECT pg_sleep(0.05)"))
                            .count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(results == 6)
        }
    }

    @Test("dropped connection is replaced")
    func droppedConnectionIsReplaced() async throws {
        try await withDatabase(.empty) { database in
            let client = database.makeClient(maximumConnections: 1)
            defer { Task { await client.close() } }
            let pid = PostgresStatement(name: "test_pid", sql: "SELECT pg_backend_pid() AS pid")
            let first = try #require(try await client.query(pid).rows.first?.integer("pid"))
            try await database.execute("SELECT pg_terminate_backend(\(first))")
            let second = try #require(try await client.query(pid).rows.first?.integer("pid"))
            #expect(first != second)
        }
    }

    @Test("connection failure is typed")
    func connectionFailure() async throws {
        try await withDatabase(.empty) { database in
            let url = PostgresTestEnvironment.url(database.url, database: database.name + "_missing")
            let client = PostgresClient(configuration: PostgresConfiguration(url: url))
            defer { Task { await client.close() } }
            let error = await #expect(throws: PostgresError.self) {
                try await client.query(Self.selectOne, [.integer(1)])
            }
            #expect(error?.code == .connectionFailed)
            #expect(error?.description.contains("does not exist") == true)
        }
    }
}

/// Runs `body` with a throwaway database, dropping it afterwards.
func withDatabase(
    _ schema: PostgresTestDatabase.Schema, serverURL: String? = nil,
    _ body: (PostgresTestDatabase) async throws -> Void
) async throws {
    let database = try await PostgresTestDatabase.create(schema, serverURL: serverURL)
    do {
        try await body(database)
    } catch {
        try? await database.drop()
        throw error
    }
    try await database.drop()
}
