import Foundation
import LogsCore
import LogsStorage
import Synchronization
import TestSupport
import Testing

/// A throwaway database with a unique name, dropped by `drop()`.
///
/// Schema databases are copied from a template that sqitch deploys once per test process, because
/// `CREATE DATABASE ... TEMPLATE` takes a fraction of a second and a sqitch deploy several.
struct PostgresTestDatabase: Sendable {
    enum Schema: Sendable {
        /// No tables.
        case empty
        /// Every change of `db/sqitch.plan`, partitioning included.
        case full
        /// Every change up to `logs_job_id_unique`: `log_parts` is a plain table.
        case unpartitioned
    }

    let name: String
    let url: String

    /// Creates a database; `serverURL` defaults to `DATABASE_URL`.
    static func create(_ schema: Schema, serverURL: String? = nil) async throws -> PostgresTestDatabase {
        let admin = try #require(PostgresTestEnvironment.adminURL, Self.missingServerMessage)
        let name = uniqueName()
        switch schema {
        case .empty: try await execute("CREATE DATABASE \(name)", on: admin)
        case .full, .unpartitioned:
            let template = try await TemplateDatabases.shared.template(for: schema)
            try await execute("CREATE DATABASE \(name) TEMPLATE \(template)", on: admin)
        }
        let url = PostgresTestEnvironment.url(serverURL ?? admin, database: name)
        return PostgresTestDatabase(name: name, url: url)
    }

    static let missingServerMessage: Comment = "DATABASE_URL is not set; script/test starts PostgreSQL and sets it"

    func drop() async throws {
        let admin = try #require(PostgresTestEnvironment.adminURL, Self.missingServerMessage)
        try await Self.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
    }

    /// Returns a client for this database that logs to `logHandler`.
    func makeClient(
        applicationName: String = "travis-logs-tests", usesNamedStatements: Bool = true, maximumConnections: Int = 4,
        connectionWaitTimeout: Duration = .seconds(30), logHandler: RecordingLogHandler = RecordingLogHandler()
    ) -> PostgresClient {
        PostgresClient(
            configuration: PostgresConfiguration(
                url: url, applicationName: applicationName, usesNamedStatements: usesNamedStatements,
                maximumConnections: maximumConnections, connectionWaitTimeout: connectionWaitTimeout),
            logger: Logger(label: "tests", factory: { _ in logHandler }))
    }

    /// Runs SQL on a one-off connection to `url`.
    @discardableResult
    static func execute(_ sql: String, on url: String) async throws -> PostgresRows {
        try await PostgresTestSQL.execute(sql, on: url)
    }

    /// Runs SQL on this database.
    @discardableResult
    func execute(_ sql: String) async throws -> PostgresRows {
        try await Self.execute(sql, on: url)
    }

    private static let counter = Counter()

    private static func uniqueName() -> String {
        "travis_logs_test_\(ProcessInfo.processInfo.processIdentifier)_\(counter.next())_\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// A counter shared by all tests of the process.
private final class Counter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { value in
            value += 1
            return value
        }
    }
}

/// The template databases, deployed with sqitch once per test process.
private actor TemplateDatabases {
    static let shared = TemplateDatabases()

    private var templates: [String: Task<String, any Error>] = [:]

    func template(for schema: PostgresTestDatabase.Schema) async throws -> String {
        let key = schema == .full ? "full" : "unpartitioned"
        if let task = templates[key] { return try await task.value }
        let task = Task {
            try await Self.deployTemplate(key: key, toChange: schema == .full ? nil : "logs_job_id_unique")
        }
        templates[key] = task
        return try await task.value
    }

    private static func deployTemplate(key: String, toChange change: String?) async throws -> String {
        let admin = try #require(PostgresTestEnvironment.adminURL)
        let name = "travis_logs_template_\(key)_\(ProcessInfo.processInfo.processIdentifier)"
        try await PostgresTestDatabase.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
        try await PostgresTestDatabase.execute("CREATE DATABASE \(name)", on: admin)
        let target = PostgresTestEnvironment.sqitchTarget(PostgresTestEnvironment.url(admin, database: name))
        var arguments = ["--quiet", "deploy", target]
        if let change { arguments += ["--to", change] }
        let result = try await runCommand("sqitch", arguments, in: PostgresTestEnvironment.sqitchDirectory)
        guard result.status == 0 else {
            throw PostgresError(.queryFailed, "sqitch deploy of the template failed: \(result.output)")
        }
        return name
    }
}
