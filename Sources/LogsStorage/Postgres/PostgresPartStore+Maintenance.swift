import Foundation
import LogsCore

extension PostgresPartStore {
    /// How long cancelled queries get to end before their backends are terminated.
    static let cancellationGracePeriod: Duration = .seconds(2)

    /// Runs `partman.run_maintenance` for `log_parts`; does nothing when `log_parts` is not managed
    /// by pg_partman.
    ///
    /// Dropping a partition waits for every query on `log_parts`, and blocks new ones until it
    /// commits. So this service's own queries on `log_parts` (found by `application_name`) are
    /// first cancelled, and backends still running them after a grace period are terminated. The
    /// caller, `PartitionMaintenance`, keeps the maintenance switch on meanwhile, so workers and
    /// web stop sending new ones. pg_partman's own `ANALYZE` is turned off: `analyzeLogParts()`
    /// runs it after the switch is off.
    public func runPartitionMaintenance() async throws {
        let applicationName = client.configuration.applicationName
        let deadline = ContinuousClock.now + Self.cancellationGracePeriod
        try await client.withConnection { connection in
            guard try Self.isPartitioned(on: connection) else { return }
            let name: PostgresValue = .text(applicationName)
            try connection.query(MaintenanceStatements.cancelOwnQueries, [name])
            while ContinuousClock.now < deadline {
                let remaining = try connection.query(MaintenanceStatements.countOwnQueries, [name])
                if try remaining.rows.first?.integer("count") == 0 { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            try connection.query(MaintenanceStatements.terminateOwnQueries, [name])
            try connection.query(MaintenanceStatements.runMaintenance)
        }
    }

    /// Runs `ANALYZE log_parts`, which on a partitioned table also analyzes every partition.
    ///
    /// `ANALYZE` takes a lock that conflicts only with schema changes and other `ANALYZE` and
    /// `VACUUM` runs, so inserts and reads go on meanwhile.
    public func analyzeLogParts() async throws {
        try await client.withConnection { connection in
            try connection.execute("ANALYZE log_parts", name: "travis_logs_analyze_log_parts")
        }
    }

    private static func isPartitioned(on connection: isolated PostgresConnection) throws -> Bool {
        let rows = try connection.query(MaintenanceStatements.isPartitioned)
        return try rows.rows.first?.boolean("partitioned") == true
    }
}

/// The SQL of partition maintenance.
enum MaintenanceStatements {
    static let isPartitioned = PostgresStatement(
        name: "travis_logs_is_partitioned",
        sql: """
            SELECT to_regclass('partman.part_config') IS NOT NULL
                AND EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'log_parts'::regclass)
                AS partitioned
            """)

    /// The other backends of this service in this database that are running a statement on
    /// `log_parts`, or are idle in a transaction that last did.
    private static let ownQueries = """
        FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()
            AND state <> 'idle' AND query ILIKE '%log_parts%'
        """

    static let cancelOwnQueries = PostgresStatement(
        name: "travis_logs_cancel_own_queries", sql: "SELECT pg_cancel_backend(pid) \(ownQueries)")

    static let countOwnQueries = PostgresStatement(
        name: "travis_logs_count_own_queries", sql: "SELECT count(*) AS count \(ownQueries)")

    static let terminateOwnQueries = PostgresStatement(
        name: "travis_logs_terminate_own_queries", sql: "SELECT pg_terminate_backend(pid) \(ownQueries)")

    static let runMaintenance = PostgresStatement(
        name: "travis_logs_run_partition_maintenance",
        sql: "SELECT partman.run_maintenance('public.log_parts', p_analyze := false)")
}
