import Foundation
import LogsCore
import LogsStorage
import Testing

@Suite("PostgreSQL aggregation", .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set"))
struct PostgresAggregationTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    /// The schema allows NULL in `log_parts.number` and `content`, which the store's API never
    /// writes. Such a part counts as number 0, sorts after the numbered parts, and adds no text.
    @Test("parts with NULL number or content")
    func nullNumberAndContent() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let first = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            let second = try await store.findOrCreateLog(jobID: JobID(2), at: Self.now)
            try await database.execute(
                """
                INSERT INTO log_parts (log_id, number, content, created_at) VALUES
                    (\(first), 1, 'b', now()), (\(first), NULL, 'late', now()), (\(first), 2, NULL, now()),
                    (\(first), 3, 'c', now()), (\(second), 0, 'a', now()), (\(second), NULL, 'repeat', now())
                """)
            #expect(try await store.aggregatedOnDemand(logID: first) == "bclate")
            #expect(try await store.aggregatedOnDemand(logID: second) == "a")

            let results = try await store.aggregate(
                [AggregationRequest(logID: first), AggregationRequest(logID: second)], at: Self.now)
            let firstOutcome = try #require(try results[0].get())
            #expect(firstOutcome.log.content == "bclate")
            #expect(firstOutcome.partsUsed == 4)
            #expect(firstOutcome.partsDeleted == 4)
            let secondOutcome = try #require(try results[1].get())
            #expect(secondOutcome.log.content == "a")
            #expect(secondOutcome.partsUsed == 1)
            #expect(secondOutcome.partsDeleted == 2)
            let remaining = try await database.execute("SELECT count(*) AS n FROM log_parts")
            #expect(remaining.values.first?.first == "0")
        }
    }

    @Test("content compressed with LZ4 where available")
    func contentCompression() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient()
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let id = try await store.findOrCreateLog(jobID: JobID(1), at: Self.now)
            // 100 parts of 100 bytes, compressible and over the 2 KB at which PostgreSQL compresses.
            let parts = (0..<100).map { number in
                let content = "line \(number) ".padding(toLength: 99, withPad: "x", startingAt: 0) + "\n"
                return NewLogPart(logID: id, number: number, content: content, isFinal: number == 99)
            }
            try await store.insertParts(parts, at: Self.now)
            let outcome = try #require(try await store.aggregate(logID: id, archivedContent: nil, at: Self.now))
            #expect(outcome.log.content == parts.map(\.content).joined())
            #expect(try await store.log(id: id)?.content == outcome.log.content)

            let supported = try await database.execute(
                "SELECT 'lz4' = ANY(enumvals) AS supported FROM pg_settings WHERE name = 'default_toast_compression'")
            let method = try await database.execute("SELECT pg_column_compression(content) AS method FROM logs")
            let expected = supported.values.first?.first == "t" ? "lz4" : "pglz"
            #expect(method.values.first?.first == expected)
        }
    }
}
