import LogsCore
import LogsStorage
import Testing

@Suite(
    "PostgreSQL part store conformance",
    .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set")
)
struct PostgresPartStoreConformanceTests {
    @Test("conformance check, partitioned", arguments: PartStoreConformance.checkNames)
    func partitioned(check: String) async throws {
        try await run(check, schema: .full)
    }

    @Test("conformance check, unpartitioned", arguments: PartStoreConformance.checkNames)
    func unpartitioned(check: String) async throws {
        try await run(check, schema: .unpartitioned)
    }

    @Test("overlapping batches through two clients keep every part once")
    func overlappingBatchesThroughTwoClients() async throws {
        let database = try await PostgresTestDatabase.create(.full)
        let firstClient = database.makeClient()
        let secondClient = database.makeClient()
        do {
            try await PartStoreConformance.concurrentOverlappingBatches(
                PostgresPartStore(client: firstClient), PostgresPartStore(client: secondClient))
        } catch {
            await firstClient.close()
            await secondClient.close()
            try await database.drop()
            throw error
        }
        await firstClient.close()
        await secondClient.close()
        try await database.drop()
    }

    private func run(_ check: String, schema: PostgresTestDatabase.Schema) async throws {
        let database = try await PostgresTestDatabase.create(schema)
        let client = database.makeClient()
        do {
            try await PartStoreConformance.run(check) { PostgresPartStore(client: client) }
        } catch {
            await client.close()
            try await database.drop()
            throw error
        }
        await client.close()
        try await database.drop()
    }
}
