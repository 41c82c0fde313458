import Foundation
import LogsCore
import Synchronization
import TestSupport
import Testing

@testable import LogsTransport

/// Stopping a `RedisWorker`, with a partition maintenance job that sleeps for a set time as the
/// long-running job and in-memory storage behind it.
@Suite("Redis worker stop", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisWorkerTests {
    let namespace = RedisTestServer.uniqueNamespace("worker")

    func makeWorker(jobDuration: Duration, shutdownTimeout: Duration, pool: RedisConnectionPool) throws
        -> RedisWorker
    {
        var configuration = try LogsConfiguration(environment: [:])
        configuration.logs.maintenanceInitialSleep = jobDuration
        let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "test"))
        var pipeline = Pipeline.inMemory(configuration: configuration)
        pipeline.queue = queue
        return RedisWorker(
            queue: queue, runner: pipeline.makeJobRunner(), queues: [WeightedQueue("maintenance")], concurrency: 2,
            shutdownTimeout: shutdownTimeout, logger: Logger(label: "test"))
    }

    /// Waits until a job is in the worker's in-progress list.
    func waitUntilRunning(_ worker: RedisWorker) async throws {
        for _ in 0..<100 {
            if try await !worker.queue.inProgressPayloads().isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the worker took no job within 2 s")
    }

    @Test("stop lets running job finish")
    func stopLetsRunningJobFinish() async throws {
        let pool = try RedisTestServer.makePool(size: 6)
        let worker = try makeWorker(jobDuration: .milliseconds(500), shutdownTimeout: .seconds(10), pool: pool)
        try await worker.queue.push([JobPayload.partmanMaintenance.makeJob(at: Date())])
        let running = Task { await worker.run() }
        try await waitUntilRunning(worker)

        worker.stop()
        await running.value
        #expect(try await worker.queue.inProgressPayloads().isEmpty)
        #expect(try await worker.queue.size(of: "maintenance") == 0)
        #expect(try await worker.queue.retryJobs().isEmpty)
        let heartbeat = try await pool.send("EXISTS", namespace + "travis-logs:heartbeat:\(worker.queue.identity)")
        #expect(heartbeat == .integer(0))
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    @Test("stop waits for acknowledgement in flight")
    func stopWaitsForAcknowledgementInFlight() async throws {
        let pool = try RedisTestServer.makePool(size: 6)
        var configuration = try LogsConfiguration(environment: [:])
        configuration.logs.maintenanceInitialSleep = .milliseconds(10)
        let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "test"))
        let slow = SlowAcknowledgementQueue(base: queue, delay: .milliseconds(500))
        var pipeline = Pipeline.inMemory(configuration: configuration)
        pipeline.queue = slow
        let worker = RedisWorker(
            queue: queue, runner: pipeline.makeJobRunner(), queues: [WeightedQueue("maintenance")], concurrency: 2,
            shutdownTimeout: .seconds(10), logger: Logger(label: "test"))
        try await queue.push([JobPayload.partmanMaintenance.makeJob(at: Date())])
        let running = Task { await worker.run() }
        let acknowledging = try await eventually(within: .seconds(5)) { slow.startedCount == 1 }

        worker.stop()
        await running.value
        #expect(acknowledging)
        #expect(slow.finishedCount == 1)
        // Had close() run before the acknowledgement, it would have pushed the finished job back.
        #expect(try await queue.inProgressPayloads().isEmpty)
        #expect(try await queue.size(of: "maintenance") == 0)
        #expect(try await queue.retryJobs().isEmpty)
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    @Test("stop after timeout queues job again")
    func stopAfterTimeoutQueuesJobAgain() async throws {
        let pool = try RedisTestServer.makePool(size: 6)
        let worker = try makeWorker(jobDuration: .seconds(30), shutdownTimeout: .milliseconds(200), pool: pool)
        let job = JobPayload.partmanMaintenance.makeJob(at: Date())
        try await worker.queue.push([job])
        let running = Task { await worker.run() }
        try await waitUntilRunning(worker)

        let stopped = ContinuousClock.now
        worker.stop()
        await running.value
        #expect(stopped.duration(to: .now) < .seconds(5))
        #expect(try await worker.queue.inProgressPayloads().isEmpty)
        #expect(try await worker.queue.jobs(in: "maintenance").map(\.jid) == [job.jid])
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }
}

/// A job queue whose acknowledgements wait `delay` before they reach `base`, counting them.
private final class SlowAcknowledgementQueue: ForwardingJobQueue {
    let base: any JobQueue
    let delay: Duration
    private let counts = Mutex((started: 0, finished: 0))

    init(base: any JobQueue, delay: Duration) {
        self.base = base
        self.delay = delay
    }

    var startedCount: Int {
        counts.withLock { $0.started }
    }

    var finishedCount: Int {
        counts.withLock { $0.finished }
    }

    func acknowledge(_ job: ReservedJob) async throws {
        counts.withLock { $0.started += 1 }
        try await Task.sleep(for: delay)
        try await base.acknowledge(job)
        counts.withLock { $0.finished += 1 }
    }
}
