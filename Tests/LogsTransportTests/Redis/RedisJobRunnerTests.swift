import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// LogsCore's `JobRunner` on a `RedisJobQueue`, with in-memory storage behind it.
@Suite("Job runner on Redis", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisJobRunnerTests {
    let namespace = RedisTestServer.uniqueNamespace("runner")

    @Test("log parts stored through Redis")
    func logPartsStoredThroughRedis() async throws {
        let pool = try RedisTestServer.makePool(size: 4)
        let queue = RedisJobQueue(
            pool: pool, namespace: namespace, settings: RedisJobQueue.Settings(promotionInterval: .zero),
            logger: Logger(label: "test"))
        let store = InMemoryPartStore()
        var pipeline = Pipeline.inMemory(configuration: try LogsConfiguration(environment: [:]))
        pipeline.queue = queue
        pipeline.store = store
        try await pipeline.enqueue([
            RawLogPart(jobID: JobID(5), log: "hello\n", number: .number(1), isFinal: false)
        ])

        let ran = try await pipeline.makeJobRunner().runUntilIdle(queues: [
            WeightedQueue("log_parts"), WeightedQueue("logs.pusher_forwarding"),
        ])
        #expect(ran == 2)
        #expect(await store.allParts().map(\.content) == ["hello\n"])
        #expect(try await queue.inProgressPayloads().isEmpty)
        try await queue.close()
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    @Test("failed job goes to retry set")
    func failedJobGoesToRetrySet() async throws {
        let pool = try RedisTestServer.makePool(size: 4)
        let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "test"))
        var pipeline = Pipeline.inMemory(configuration: try LogsConfiguration(environment: [:]))
        pipeline.queue = queue
        let job = Job(className: "Unknown::Worker", queue: "archive", args: [1], retry: .integer(3), createdAt: Date())
        try await queue.push([job])

        let ran = try await pipeline.makeJobRunner().runUntilIdle(queues: [WeightedQueue("archive")])
        #expect(ran == 1)
        let retries = try await queue.retryJobs()
        #expect(retries.map(\.job.jid) == [job.jid])
        #expect(retries.first?.job.retryCount == 0)
        #expect(retries.first?.job.errorClass != nil)
        #expect(try await queue.inProgressPayloads().isEmpty)
        try await queue.close()
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }
}
