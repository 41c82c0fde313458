import Foundation
import LogsCore
import LogsStorage
import Synchronization
import Testing

@Suite(
    "PostgreSQL partition maintenance",
    .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set"))
struct PartitionMaintenanceTests {
    static let partitionsQuery = """
        SELECT count(*) FROM pg_inherits WHERE inhparent = 'log_parts'::regclass
        """

    @Test("old partitions are dropped and recent parts kept")
    func dropsOldPartitions() async throws {
        try await withDatabase(.full) { database in
            try await database.execute(
                """
                SELECT partman.create_partition_time('public.log_parts', ARRAY[(now() AT TIME ZONE 'UTC') - interval '5 days']);
                INSERT INTO log_parts (log_id, number, content, created_at) VALUES
                    (1, 1, 'expired', (now() AT TIME ZONE 'UTC') - interval '5 days'),
                    (1, 2, 'recent', now() AT TIME ZONE 'UTC');
                """)
            let client = database.makeClient()
            defer { Task { await client.close() } }
            try await PostgresPartStore(client: client).runPartitionMaintenance()

            let contents = try await database.execute("SELECT string_agg(content, ',') FROM log_parts")
            #expect(contents.values == [["recent"]])
            let oldest = try await database.execute(
                """
                SELECT count(*) FROM pg_inherits JOIN pg_class ON pg_class.oid = inhrelid
                WHERE inhparent = 'log_parts'::regclass
                    AND relname = 'log_parts_p' || to_char((now() AT TIME ZONE 'UTC') - interval '5 days', 'YYYY_MM_DD')
                """)
            #expect(oldest.values == [["0"]])
        }
    }

    @Test("own queries on log parts are cancelled")
    func cancelsOwnQueries() async throws {
        try await withDatabase(.full) { database in
            let other = database.makeClient(applicationName: "travis-logs-maintained", maximumConnections: 1)
            let maintainer = database.makeClient(applicationName: "travis-logs-maintained")
            defer {
                Task {
                    await other.close()
                    await maintainer.close()
                }
            }
            let slow = Task {
                try await other.query(
                    PostgresStatement(name: "test_slow", sql: "SELECT count(*) FROM log_parts, pg_sleep(20)"))
            }
            try await waitUntilActive(database: database, applicationName: "travis-logs-maintained")
            try await PostgresPartStore(client: maintainer).runPartitionMaintenance()

            let result = await slow.result
            #expect(throws: PostgresError.self) { try result.get() }
            if case .failure(let error as PostgresError) = result {
                #expect(error.sqlState == "57014")
            }
        }
    }

    @Test("unpartitioned table is left alone")
    func unpartitionedTableIsLeftAlone() async throws {
        try await withDatabase(.unpartitioned) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            try await PostgresPartStore(client: client).runPartitionMaintenance()
            #expect(try await database.execute(Self.partitionsQuery).values == [["0"]])
        }
    }

    @Test("maintenance step leaves the switch off")
    func maintenanceStepLeavesSwitchOff() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let maintenance = InMemoryMaintenanceSwitch(clock: SystemClock())
            let step = PartitionMaintenance(
                store: PostgresPartStore(client: client), maintenance: maintenance, clock: SystemClock(),
                expiry: .seconds(60), initialSleep: .zero,
                logger: Logger(label: "tests", factory: { _ in RecordingLogHandler() }))
            try await step.run()
            #expect(try await maintenance.isEnabled() == false)
            let future = try await database.execute(
                """
                SELECT count(*) FROM pg_inherits JOIN pg_class ON pg_class.oid = inhrelid
                WHERE inhparent = 'log_parts'::regclass AND relname >= 'log_parts_p'
                    || to_char((now() AT TIME ZONE 'UTC') + interval '4 days', 'YYYY_MM_DD')
                """)
            #expect(future.values != [["0"]])
        }
    }

    @Test("statistics updated after switch off")
    func statisticsUpdatedAfterSwitchOff() async throws {
        try await withDatabase(.full) { database in
            try await database.execute(
                """
                INSERT INTO log_parts (log_id, number, content, created_at)
                SELECT 1, n, 'part ' || n, now() AT TIME ZONE 'UTC' FROM generate_series(1, 50) AS n
                """)
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let maintenance = StatisticsObservingSwitch(database: database)
            let step = PartitionMaintenance(
                store: PostgresPartStore(client: client), maintenance: maintenance, clock: SystemClock(),
                expiry: .seconds(60), initialSleep: .zero,
                logger: Logger(label: "tests", factory: { _ in RecordingLogHandler() }))

            try await step.run()

            #expect(maintenance.statisticRowsAtDisable.withLock { $0 } == [0])
            let after = try await database.execute(StatisticsObservingSwitch.statisticRowsQuery)
            #expect(after.values != [["0"]])
            #expect(try await maintenance.isEnabled() == false)
        }
    }

    private func waitUntilActive(database: PostgresTestDatabase, applicationName: String) async throws {
        for _ in 0..<200 {
            let rows = try await database.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(applicationName)' AND state = 'active'"
            )
            if rows.values == [["1"]] { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("the query never became active")
    }
}

/// A maintenance switch in memory that counts the planner statistics rows of `log_parts` when it
/// is turned off, to show whether `ANALYZE` ran before that.
final class StatisticsObservingSwitch: MaintenanceSwitch {
    /// `ANALYZE` of a partitioned table writes rows for the parent with `stainherit` set. Autovacuum
    /// does not process partitioned tables, so these rows appear only after an explicit `ANALYZE`.
    static let statisticRowsQuery = "SELECT count(*) FROM pg_statistic WHERE starelid = 'log_parts'::regclass"

    let database: PostgresTestDatabase
    let inner = InMemoryMaintenanceSwitch(clock: SystemClock())
    let statisticRowsAtDisable = Mutex<[Int]>([])

    init(database: PostgresTestDatabase) {
        self.database = database
    }

    func remainingTime() async throws -> Duration? {
        try await inner.remainingTime()
    }

    func enable(for duration: Duration) async throws {
        try await inner.enable(for: duration)
    }

    func disable() async throws {
        let rows = try await database.execute(Self.statisticRowsQuery)
        let count = rows.values.first?.first.flatMap { $0 }.flatMap { Int($0) } ?? -1
        statisticRowsAtDisable.withLock { $0.append(count) }
        try await inner.disable()
    }
}
