import Foundation
import LogsCore
import Synchronization
import TestSupport
import Testing

@testable import LogsTransport

/// A drain on its own queue, exchange, dead queue and Redis namespace, with a publisher and
/// readers of the jobs that land in Redis.
struct DrainHarness {
    var settings: DrainSettings
    let namespace: String
    let pool: RedisConnectionPool
    let jobQueue: RedisJobQueue
    let publisher: AMQPConnection
    let endpoint: AMQPEndpoint
    let handler = RecordingLogHandler()
    let metrics = MetricsRegistry()

    /// Declares the drain's queues on `endpoint`, the node of `RABBITMQ_URL` by default.
    init(
        _ suite: String, endpoint: AMQPEndpoint? = nil, configure: (inout DrainSettings) -> Void = { _ in }
    ) async throws {
        let name = RabbitMQTestServer.uniqueName(suite)
        var settings = DrainSettings()
        settings.queueName = name
        settings.exchangeName = "\(name).exchange"
        settings.routingKey = name
        settings.deadQueueName = "\(name).dead"
        settings.consumerCount = 2
        settings.batchSize = 10
        settings.batchInterval = .milliseconds(200)
        // Tests that count batches set the interval; the idle time has a test of its own.
        settings.batchIdleTime = nil
        settings.pollInterval = .milliseconds(50)
        settings.initialRetryDelay = .milliseconds(20)
        settings.maximumRetryDelay = .milliseconds(200)
        settings.healthCheckInterval = .milliseconds(50)
        settings.deadLetterConfirmTimeout = .seconds(5)
        configure(&settings)
        self.settings = settings
        namespace = RedisTestServer.uniqueNamespace(suite)
        pool = try RedisTestServer.makePool(size: 8)
        jobQueue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "drain-test-queue"))
        self.endpoint = try endpoint ?? RabbitMQTestServer.endpoint()
        publisher = AMQPConnection(endpoint: self.endpoint, name: "drain-test-publisher")
        try await publisher.open()
        try await DrainTopology(settings: settings, logger: Logger(label: "drain-test")).declare(on: publisher)
    }

    var logger: Logger {
        let handler = self.handler
        return Logger(label: "drain-test", factory: { _ in handler })
    }

    func makeDrain(queue: (any JobQueue)? = nil, forwardingFilter: DrainForwardingFilter? = nil) throws -> LogDrain {
        LogDrain(
            endpoint: endpoint, queue: queue ?? jobQueue, settings: settings, forwardingFilter: forwardingFilter,
            logger: logger, metrics: metrics)
    }

    /// Starts the drain in a task; stop it with `drain.stop()` and await the task.
    func start(_ drain: LogDrain) -> Task<Void, Never> {
        Task { await drain.run() }
    }

    func publish(_ body: String) async throws {
        try await publish(Data(body.utf8))
    }

    func publish(_ body: Data) async throws {
        try await publisher.publish(body, exchange: settings.exchangeName, routingKey: settings.routingKey)
    }

    /// Returns the parts of every `log_parts` job, oldest job first.
    func storedBatches() async throws -> [[RawLogPart]] {
        try await jobQueue.jobs(in: "log_parts").map(Self.parts)
    }

    func storedParts() async throws -> [RawLogPart] {
        try await storedBatches().flatMap { $0 }
    }

    func forwardedParts() async throws -> [RawLogPart] {
        try await forwardingJobs().flatMap { $0 }
    }

    /// Returns the parts of every `logs.pusher_forwarding` job, oldest job first.
    func forwardingJobs() async throws -> [[RawLogPart]] {
        try await jobQueue.jobs(in: "logs.pusher_forwarding").map(Self.parts)
    }

    private static func parts(of job: Job) throws -> [RawLogPart] {
        try RawLogPart.parts(fromArgument: try #require(job.args.first)).map { try $0.get() }
    }

    /// Messages ready in the drain's queue, not counting delivered and unacknowledged ones.
    func readyMessages(in queue: String? = nil) async throws -> Int {
        try await publisher.declareQueue(queue ?? settings.queueName, passive: true).messageCount
    }

    /// Waits until `condition` holds, checking every 50 ms, for at most `timeout`.
    func wait(
        for timeout: Duration = .seconds(20), _ what: Comment, until condition: () async throws -> Bool
    ) async throws {
        let end = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < end else {
                Issue.record("timed out waiting for \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func counter(_ name: String, labels: [String: String] = [:]) -> Int {
        metrics.counter(name, labels: labels).value
    }

    func cleanUp() async throws {
        try await publisher.deleteQueue(settings.queueName)
        try await publisher.deleteQueue(settings.deadQueueName)
        try await publisher.deleteExchange(settings.exchangeName)
        await publisher.close()
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }
}

/// A job queue that fails chosen pushes, standing in for a Redis pool that times out under load.
final class FailingJobQueue: ForwardingJobQueue {
    private struct State {
        var pushes = 0
        var failsAll = false
    }

    let base: any JobQueue
    /// Every `failingEvery`-th push fails; 0 fails none.
    let failingEvery: Int
    private let state = Mutex(State())

    init(base: any JobQueue, failingEvery: Int = 0) {
        self.base = base
        self.failingEvery = failingEvery
    }

    /// Makes every push fail, as when Redis is unavailable, or work again.
    func setFailsAll(_ failsAll: Bool) {
        state.withLock { $0.failsAll = failsAll }
    }

    func push(_ jobs: [Job]) async throws {
        let fails = state.withLock { state in
            state.pushes += 1
            return state.failsAll || (failingEvery > 0 && state.pushes % failingEvery == 0)
        }
        if fails { throw RedisError(.io, "injected push failure") }
        try await base.push(jobs)
    }
}
