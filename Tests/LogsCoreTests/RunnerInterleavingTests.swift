import Foundation
import LogsCore
import Synchronization
import Testing

/// An archive whose uploads hang until cancelled, counting how many started.
final class HangingArchive: Archive {
    private let started = Mutex(0)

    var uploadsStarted: Int { started.withLock { $0 } }

    func store(_ content: Data, jobID: JobID) async throws {
        started.withLock { $0 += 1 }
        try await Task.sleep(for: .seconds(3600))
    }

    func objectInfo(jobID: JobID) async throws -> ArchivedObject? { nil }

    func content(jobID: JobID) async throws -> Data? { nil }
}

/// The job runner under hanging jobs, stops and maintenance.
@Suite("Job runner interleavings", .timeLimit(.minutes(1)))
struct RunnerInterleavingTests {
    @Test("hanging job is requeued on cancel")
    func hangingJobRequeued() async throws {
        var harness = PipelineHarness()
        let archive = HangingArchive()
        harness.pipeline.archive = archive
        let job = JobID(901)
        _ = try await harness.store.setContent([LogContentUpdate(jobID: job, content: "text")], at: harness.clock.now())
        let logID = try #require(await harness.logID(job))
        try await harness.queue.push([JobPayload.archive(logID).makeJob(at: harness.clock.now())])

        let runner = harness.makeRunner()
        let running = Task {
            await runner.run(queues: PipelineHarness.allQueues, concurrency: 2, pollTimeout: .milliseconds(20))
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while archive.uploadsStarted == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(archive.uploadsStarted == 1)

        runner.stop()
        try await Task.sleep(for: .milliseconds(200))
        running.cancel()
        await running.value

        #expect(await harness.queue.inProgressCount() == 0)
        #expect(await harness.queuedJobs(JobPayload.Queue.archive).count == 1)
        #expect(await harness.log(job)?.isArchiving == false)
    }

    @Test("maintenance switched on mid-aggregation waits, then finishes")
    func maintenanceAroundRunningJob() async throws {
        let harness = PipelineHarness()
        let job = JobID(902)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "one\n", isFinal: true)])
        try await harness.runAll()
        await harness.maintenance.enable(for: .seconds(600))
        harness.advancePastAggregationDelay()

        let runner = harness.makeRunner()
        let running = Task { try await runner.runUntilIdle(queues: PipelineHarness.allQueues) }
        #expect(try await harness.waitForSleeper())
        #expect(await harness.log(job)?.content == nil)
        await harness.maintenance.disable()
        harness.advance(by: harness.configuration.logs.sidekiqErrorRetryPause + .seconds(1))
        _ = try await running.value
        try await harness.runAll()
        #expect(await harness.archivedText(job) == "one\n")
    }

    @Test("two aggregations of one log at once")
    func concurrentAggregations() async throws {
        let harness = PipelineHarness()
        let job = JobID(903)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "a"), Parts.text(job, 2, "b", isFinal: true)])
        try await harness.runAll()
        let logID = try #require(await harness.logID(job))
        let aggregator = harness.pipeline.aggregator
        let results = try await withThrowingTaskGroup(of: Aggregator.Result.self) { group in
            for _ in 0..<8 {
                group.addTask { try await aggregator.aggregate(logID: logID) }
            }
            return try await group.reduce(into: [Aggregator.Result]()) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(await harness.log(job)?.content == "ab")
    }

    @Test("sweeper skips maintenance")
    func sweeperDuringMaintenance() async throws {
        let harness = PipelineHarness()
        let job = JobID(904)
        try await harness.pipeline.enqueue([Parts.text(job, 1, "a", isFinal: true)])
        try await harness.runAll()
        harness.advance(by: .seconds(3600 * 24))
        await harness.maintenance.enable(for: .seconds(600))
        #expect(try await harness.pipeline.sweeper.sweep() == nil)
        await harness.maintenance.disable()
        #expect(try await harness.pipeline.sweeper.sweep()?.count == 1)
    }
}
