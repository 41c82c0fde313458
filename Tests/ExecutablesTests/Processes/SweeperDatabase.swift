import Foundation
import LogsCore
import LogsStorage
import TestSupport

/// A throwaway PostgreSQL database with the `logs` and `log_parts` columns the sweeper reads,
/// holding one log whose aggregation was missed and one that is not due yet.
struct SweeperDatabase {
    static let missedLogID: Int64 = 42
    static let recentLogID: Int64 = 43

    let name: String
    let url: String
    private let adminURL: String

    /// Creates the database on the server of `DATABASE_URL`.
    static func create() async throws -> SweeperDatabase {
        let adminURL = try TestEnvironment.require("DATABASE_URL")
        let name = "travis_logs_sweeper_\(UUID().uuidString.prefix(8).lowercased())"
        try await PostgresTestSQL.execute("CREATE DATABASE \(name)", on: adminURL)
        let database = SweeperDatabase(
            name: name, url: PostgresTestSQL.url(adminURL, database: name), adminURL: adminURL)
        // Timestamps are UTC without a zone, as the schema in db/ stores them.
        try await PostgresTestSQL.execute(
            """
            CREATE TABLE logs (id integer PRIMARY KEY, aggregated_at timestamp without time zone);
            INSERT INTO logs (id) VALUES (\(missedLogID)), (\(recentLogID));
            CREATE TABLE log_parts (
                id bigserial PRIMARY KEY, log_id integer NOT NULL, content text, number integer, final boolean,
                created_at timestamp without time zone NOT NULL
            );
            INSERT INTO log_parts (log_id, content, number, final, created_at) VALUES
                (\(missedLogID), 'a', 1, false, (now() AT TIME ZONE 'UTC') - interval '2 hours'),
                (\(missedLogID), '', 2, true, (now() AT TIME ZONE 'UTC') - interval '1 hour'),
                (\(recentLogID), 'b', 1, true, now() AT TIME ZONE 'UTC');
            """, on: database.url)
        return database
    }

    func drop() async throws {
        try await PostgresTestSQL.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: adminURL)
    }

    /// Returns the password inside a URL, so that a test can check it is not logged.
    static func password(of url: String) -> String? {
        URLComponents(string: url)?.password.flatMap { $0.isEmpty ? nil : $0 }
    }
}
