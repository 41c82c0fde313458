import Foundation
import LogsStorage
import TestSupport
import Testing

/// The PostgreSQL server the tests use, from `DATABASE_URL` (and `PGBOUNCER_URL` for PgBouncer).
///
/// `script/services/postgres` starts both and exports the variables. Without them the tests are
/// skipped, except under `CI=true`, where a missing server is a failure.
enum PostgresTestEnvironment {
    static var adminURL: String? {
        ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var pgbouncerURL: String? {
        ProcessInfo.processInfo.environment["PGBOUNCER_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Whether suites that need PostgreSQL run: with `DATABASE_URL` set, or under CI, where the
    /// tests then fail on the missing variable instead of being skipped.
    static var isConfiguredOrCI: Bool {
        adminURL != nil || isCI
    }

    static var isPgBouncerConfiguredOrCI: Bool {
        pgbouncerURL != nil || isCI
    }

    /// The `db/` sqitch project of this repository.
    static let sqitchDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("db")

    /// Returns `url` with its database name replaced.
    static func url(_ url: String, database: String) -> String {
        PostgresTestSQL.url(url, database: database)
    }

    /// Returns the sqitch target for a `postgres://` URL.
    static func sqitchTarget(_ url: String) -> String {
        "db:pg://"
            + url.replacingOccurrences(of: "postgres://", with: "").replacingOccurrences(
                of: "postgresql://", with: "")
    }
}
