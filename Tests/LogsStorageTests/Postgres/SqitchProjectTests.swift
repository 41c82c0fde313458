import Foundation
import LogsCore
import LogsStorage
import TestSupport
import Testing

@Suite("sqitch project", .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set"))
struct SqitchProjectTests {
    static let tablesQuery = """
        SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'
        """

    @Test("deploy, verify, revert and deploy again")
    func deployVerifyRevert() async throws {
        try await withDatabase(.empty) { database in
            let target = PostgresTestEnvironment.sqitchTarget(database.url)
            try await sqitch(["deploy", target])
            try await sqitch(["verify", target])
            let deployed = try await database.execute(Self.tablesQuery)
            #expect(deployed.values.first?.first??.contains("log_parts_default") == true)

            try await sqitch(["revert", "-y", target])
            let reverted = try await database.execute(Self.tablesQuery)
            #expect(reverted.values == [[nil]])

            try await sqitch(["deploy", target])
            try await sqitch(["verify", target])
        }
    }

    @Test("partitioning revert keeps every part")
    func partitioningRevertKeepsParts() async throws {
        try await withDatabase(.full) { database in
            let target = PostgresTestEnvironment.sqitchTarget(database.url)
            try await database.execute(
                """
                INSERT INTO log_parts (log_id, number, content, created_at)
                VALUES (1, 1, 'today', now() AT TIME ZONE 'UTC'), (1, 2, 'old', '2001-01-01');
                """)
            try await sqitch(["revert", "-y", "--to", "logs_job_id_unique", target])
            let plain = try await database.execute(
                "SELECT relkind::text, (SELECT string_agg(content, ',' ORDER BY number) FROM log_parts) "
                    + "FROM pg_class WHERE relname = 'log_parts'")
            #expect(plain.values == [["r", "today,old"]])
            try await sqitch(["deploy", target])
            let partitioned = try await database.execute(
                "SELECT string_agg(content, ',' ORDER BY number) FROM log_parts")
            #expect(partitioned.values == [["today,old"]])
        }
    }

    @Test("unique job id change merges duplicate logs")
    func uniqueJobIDMergesDuplicates() async throws {
        try await withDatabase(.empty) { database in
            let target = PostgresTestEnvironment.sqitchTarget(database.url)
            try await sqitch(["deploy", "--to", "create_scan_results_table", target])
            try await database.execute(Self.duplicatedLogsSQL)
            try await sqitch(["deploy", "--to", "logs_job_id_unique", target])
            try await expectMerged(database)
        }
    }

    @Test("database deployed by the original project is adopted")
    func adoptOriginalDatabase() async throws {
        try await withDatabase(.empty) { database in
            let target = PostgresTestEnvironment.sqitchTarget(database.url)
            let original = try makeOriginalLikeProject()
            defer { try? FileManager.default.removeItem(at: original) }
            let deployed = try await runCommand("sqitch", ["--quiet", "deploy", target], in: original)
            try #require(deployed.status == 0, "\(deployed.output)")
            try await database.execute(Self.duplicatedLogsSQL)

            // Without adoption sqitch does not recognize the original's changes.
            let refused = try await runCommand(
                "sqitch", ["--quiet", "deploy", target], in: PostgresTestEnvironment.sqitchDirectory)
            #expect(refused.status != 0)

            let script = PostgresTestEnvironment.sqitchDirectory.deletingLastPathComponent()
                .appendingPathComponent("script/adopt-original-database").path
            let adopted = try await runCommand(script, [database.url])
            try #require(adopted.status == 0, "\(adopted.output)")
            try await sqitch(["verify", target])
            try await expectMerged(database)
            let partitioned = try await database.execute(
                "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'log_parts'::regclass")
            #expect(partitioned.values == [["1"]])
            let history = try await database.execute("SELECT count(*) FROM sqitch_original.changes")
            #expect(history.values == [["6"]])
        }
    }

    /// Two logs rows for job 5, whose parts are split between them, and one log for job 6.
    static let duplicatedLogsSQL = """
        INSERT INTO logs (id, job_id, content) VALUES (1, 5, NULL), (2, 5, 'second row text'), (3, 6, NULL);
        SELECT setval('logs_id_seq', 3);
        INSERT INTO log_parts (log_id, number, content, created_at) VALUES
            (1, 0, 'a', now() AT TIME ZONE 'UTC'), (2, 1, 'b', now() AT TIME ZONE 'UTC'),
            (1, 2, 'c', now() AT TIME ZONE 'UTC'), (3, 0, 'other', now() AT TIME ZONE 'UTC');
        INSERT INTO scan_tracker (log_id, scan_status, created_at) VALUES (2, 'ready_for_scan', now());
        """

    private func expectMerged(_ database: PostgresTestDatabase) async throws {
        let logs = try await database.execute("SELECT id, job_id, content FROM logs ORDER BY id")
        #expect(logs.values == [["1", "5", "second row text"], ["3", "6", nil]])
        let parts = try await database.execute("SELECT log_id, number FROM log_parts ORDER BY log_id, number")
        #expect(parts.values == [["1", "0"], ["1", "1"], ["1", "2"], ["3", "0"]])
        let tracker = try await database.execute("SELECT log_id FROM scan_tracker")
        #expect(tracker.values == [["1"]])

        let client = database.makeClient()
        defer { Task { await client.close() } }
        let store = PostgresPartStore(client: client)
        let outcome = try await store.aggregate(logID: LogID(1), archivedContent: nil, at: Date())
        #expect(outcome?.log.content == "second row textabc")
    }

    private func sqitch(_ arguments: [String]) async throws {
        let result = try await runCommand(
            "sqitch", ["--quiet"] + arguments, in: PostgresTestEnvironment.sqitchDirectory)
        #expect(result.status == 0, "sqitch \(arguments.first ?? "") failed: \(result.output)")
    }

    /// Copies `db/` with a plan whose first six changes have other identities, as the original
    /// service's plan gives them: no project URI and other planners and dates.
    private func makeOriginalLikeProject() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("original-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: PostgresTestEnvironment.sqitchDirectory, to: directory)
        let planURL = directory.appendingPathComponent("sqitch.plan")
        let plan = try String(contentsOf: planURL, encoding: .utf8)
        var lines: [String] = []
        for line in plan.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("%uri=") || line.hasPrefix("logs_job_id_unique") || line.hasPrefix("log_parts_partman") {
                continue
            }
            lines.append(
                line.replacingOccurrences(
                    of: "travis-logs Swift <travis-logs@localhost>", with: "Original <original@localhost>"
                )
                .replacingOccurrences(of: "2026-12-04T16", with: "2017-04-04T19"))
        }
        try lines.joined(separator: "\n").write(to: planURL, atomically: true, encoding: .utf8)
        return directory
    }
}
