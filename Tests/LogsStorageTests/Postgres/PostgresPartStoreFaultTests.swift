import Foundation
import LogsCore
import LogsStorage
import Testing

@Suite(
    "PostgreSQL part store faults", .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set"))
struct PostgresPartStoreFaultTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    static func parts(_ logID: LogID, _ numbers: Range<Int>) -> [NewLogPart] {
        numbers.map { NewLogPart(logID: logID, number: $0, content: "line \($0)\n", isFinal: false) }
    }

    static func expectedContent(_ numbers: Range<Int>) -> String {
        numbers.map { "line \($0)\n" }.joined()
    }

    @Test("idle connection dropped before a batch is replaced")
    func droppedIdleConnection() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-drop", maximumConnections: 1)
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            try await store.insertParts(Self.parts(logID, 0..<10), at: Self.now)

            try await database.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'travis-logs-drop'")
            try await store.insertParts(Self.parts(logID, 10..<20), at: Self.now)

            let outcome = try await store.aggregate(logID: logID, archivedContent: nil, at: Self.now)
            #expect(outcome?.log.content == Self.expectedContent(0..<20))
        }
    }

    @Test("connection dropped during a COPY is retried without duplicating content")
    func droppedDuringCopy() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-copy", maximumConnections: 1)
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            // A trigger that sleeps on the first row makes the COPY slow enough to interrupt.
            try await database.execute(
                """
                CREATE FUNCTION slow_first_part() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.number = 0 AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'copy_interrupted') THEN
                        PERFORM pg_sleep(30);
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER slow_first_part BEFORE INSERT ON log_parts FOR EACH ROW EXECUTE FUNCTION slow_first_part();
                """)
            let insert = Task { try await store.insertParts(Self.parts(logID, 0..<200), at: Self.now) }
            try await waitForActiveCopy(database: database, applicationName: "travis-logs-copy")
            try await database.execute(
                """
                CREATE TABLE copy_interrupted ();
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = 'travis-logs-copy' AND query LIKE 'COPY%';
                """)
            try await insert.value

            let outcome = try await store.aggregate(logID: logID, archivedContent: nil, at: Self.now)
            #expect(outcome?.log.content == Self.expectedContent(0..<200))
            #expect(outcome?.partsDeleted == 200)
        }
    }

    @Test("rejected row names the log id and part number")
    func rejectedRowNamesPart() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            var batch = Self.parts(logID, 0..<5)
            // Beyond PostgreSQL's integer range, so the server rejects the row.
            batch[3].number = 3_000_000_000
            let error = await #expect(throws: PostgresError.self) {
                try await store.insertParts(batch, at: Self.now)
            }
            #expect(error?.code == .rowRejected)
            #expect(error?.logID == logID)
            #expect(error?.partNumber == 3_000_000_000)
            #expect(error?.sqlState == "22003")
            #expect(error?.description.contains("line") == false)
            #expect(try await store.logParts(logID: logID, query: LogPartsQuery()).isEmpty)
        }
    }

    @Test("NUL byte in a part is rejected before sending")
    func nulBytePart() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            var batch = Self.parts(logID, 0..<3)
            batch[1].content = "secret\u{0}text"
            let error = await #expect(throws: PostgresError.self) {
                try await store.insertParts(batch, at: Self.now)
            }
            #expect(error?.code == .rowRejected)
            #expect(error?.logID == logID)
            #expect(error?.partNumber == 1)
            #expect(error?.description.contains("secret") == false)
            #expect(try await store.logParts(logID: logID, query: LogPartsQuery()).isEmpty)
        }
    }

    @Test("concurrent batches with rejected rows fail alone")
    func concurrentBatchesFailAlone() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            // Batches 3 and 11 hold a number beyond PostgreSQL's integer range, batch 7 a NUL byte.
            let outcomes = await withTaskGroup(of: (Int, PostgresError?).self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        var batch = Self.parts(logID, writer * 10..<writer * 10 + 10)
                        if writer == 3 || writer == 11 { batch[4].number = 3_000_000_000 + writer }
                        if writer == 7 { batch[2].content = "a\u{0}b" }
                        do {
                            try await store.insertParts(batch, at: Self.now)
                            return (writer, nil)
                        } catch {
                            return (writer, error as? PostgresError)
                        }
                    }
                }
                return await group.reduce(into: [Int: PostgresError?]()) { $0[$1.0] = $1.1 }
            }
            for writer in 0..<16 {
                let error = outcomes[writer] ?? nil
                switch writer {
                case 3, 11:
                    #expect(error?.code == .rowRejected, "writer \(writer)")
                    #expect(error?.partNumber == 3_000_000_000 + writer, "writer \(writer)")
                case 7:
                    #expect(error?.code == .rowRejected, "writer \(writer)")
                    #expect(error?.partNumber == 72, "writer \(writer)")
                default:
                    #expect(error == nil, "writer \(writer): \(String(describing: error))")
                }
            }
            let stored = try await store.logParts(logID: logID, query: LogPartsQuery()).map(\.number)
            let expected = (0..<16).filter { ![3, 7, 11].contains($0) }.flatMap { $0 * 10..<$0 * 10 + 10 }
            #expect(stored == expected)
        }
    }

    @Test("many concurrent writers for one job create one row")
    func concurrentWritersCreateOneRow() async throws {
        try await withDatabase(.full) { database in
            let clients = (0..<4).map { _ in database.makeClient(maximumConnections: 4) }
            defer { Task { for client in clients { await client.close() } } }
            let stores = clients.map { PostgresPartStore(client: $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<32 {
                    let store = stores[writer % stores.count]
                    group.addTask {
                        let logID = try await store.findOrCreateLog(jobID: JobID(77), at: Self.now)
                        try await store.insertParts(Self.parts(logID, writer * 10..<writer * 10 + 10), at: Self.now)
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await database.execute("SELECT count(*) FROM logs WHERE job_id = 77")
            #expect(rows.values == [["1"]])
            let logID = try #require(try await stores[0].logID(forJobID: JobID(77)))
            let outcome = try await stores[0].aggregate(logID: logID, archivedContent: nil, at: Self.now)
            #expect(outcome?.log.content == Self.expectedContent(0..<320))
        }
    }

    @Test("aggregation writes a scan tracker row")
    func aggregationWritesScanTracker() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            try await store.insertParts(Self.parts(logID, 0..<2), at: Self.now)
            _ = try await store.aggregate(logID: logID, archivedContent: nil, at: Self.now)
            let rows = try await database.execute("SELECT log_id, scan_status, created_at FROM scan_tracker")
            #expect(rows.values == [["\(logID)", "ready_for_scan", "2026-05-28 20:26:40"]])
        }
    }

    @Test("aggregations of one log run one after another")
    func aggregationsSerialize() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(maximumConnections: 4)
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            try await store.insertParts(Self.parts(logID, 0..<50), at: Self.now)
            let outcomes = try await withThrowingTaskGroup(of: AggregationOutcome?.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await store.aggregate(logID: logID, archivedContent: nil, at: Self.now) }
                }
                return try await group.reduce(into: [AggregationOutcome?]()) { $0.append($1) }
            }
            #expect(outcomes.compactMap { $0?.partsUsed }.sorted() == [0, 0, 0, 50])
            #expect(try await store.log(id: logID)?.content == Self.expectedContent(0..<50))
        }
    }

    private func waitForActiveCopy(database: PostgresTestDatabase, applicationName: String) async throws {
        for _ in 0..<200 {
            let rows = try await database.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(applicationName)' "
                    + "AND state = 'active' AND query LIKE 'COPY%'")
            if rows.values == [["1"]] { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("the COPY never became active")
    }
}
