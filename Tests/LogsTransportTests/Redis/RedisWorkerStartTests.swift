import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

/// Starting a `RedisWorker` while nothing listens at the Redis address; no server is needed.
@Suite("Redis worker start")
struct RedisWorkerStartTests {
    static let connectRetryMessage = "connecting to Redis failed, retrying"

    @Test("unreachable Redis logs each start retry once")
    func unreachableRedisLogsEachRetryOnce() async throws {
        let recorder = RecordingLogHandler()
        let logger = Logger(label: "test", factory: { _ in recorder })
        let endpoint = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: try freeLoopbackPort()))
        let settings = RedisConnectionPool.Settings(
            size: 2, reconnectInitialDelay: .milliseconds(20), reconnectMaximumDelay: .milliseconds(80))
        let pool = RedisConnectionPool(endpoint: endpoint, settings: settings, logger: logger)
        defer { pool.close() }
        let queue = RedisJobQueue(pool: pool, logger: logger)
        var pipeline = Pipeline.inMemory(configuration: try LogsConfiguration(environment: [:]))
        pipeline.queue = queue
        let worker = RedisWorker(
            queue: queue, runner: pipeline.makeJobRunner(), queues: [WeightedQueue("maintenance")], concurrency: 1,
            logger: logger)

        let running = Task { await worker.run() }
        var connectRetries = 0
        for _ in 0..<500 where connectRetries < 4 {
            try await Task.sleep(for: .milliseconds(20))
            connectRetries = recorder.entries.filter { $0.message == Self.connectRetryMessage }.count
        }
        worker.stop()
        await running.value

        let warnings = recorder.entries.filter { $0.level >= .warning }
        let attempts = warnings.filter { $0.message == Self.connectRetryMessage }.compactMap { $0.metadata["attempt"] }
        #expect(attempts.count >= 4, "warnings: \(warnings.map(\.message))")
        #expect(attempts.map(\.description) == (1...max(1, attempts.count)).map(String.init))
        #expect(warnings.count == attempts.count, "other warnings: \(warnings.map(\.message))")
        #expect(!recorder.entries.contains { $0.message.contains("worker start failed") })
        #expect(!recorder.entries.contains { $0.message == "worker started" })
    }
}
