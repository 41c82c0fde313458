import Foundation
import Synchronization
import TestSupport
import Testing

@testable import LogsCore

@Suite("JobRunner", .timeLimit(.minutes(1)))
struct JobRunnerTests {
    private let clock = ManualClock()
    private let pipeline: Pipeline
    private let queue: InMemoryJobQueue
    /// A runner whose retry policy has no jitter, so retry `count` is due `count^4 + 15` seconds later.
    private let runner: JobRunner

    init() throws {
        pipeline = Pipeline.inMemory(configuration: try LogsConfiguration(environment: [:]), clock: clock)
        queue = try #require(pipeline.queue as? InMemoryJobQueue)
        runner = pipeline.makeJobRunner(retryPolicy: SidekiqRetryPolicy(jitter: { _ in 0 }))
    }

    private static let allQueues = JobPayload.Queue.all.map { WeightedQueue($0) }

    /// Waits in real time until `condition` holds, for at most ten seconds.
    private func eventually(_ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while await !condition() && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        return await condition()
    }

    /// Runs one job with `runner` and checks that it finished once, acknowledged and not retried.
    private func expectOneJobFinished(by runner: JobRunner) async throws {
        try await queue.push(JobPayload.timingInfo(JobID(1)).makeJob(at: clock.now()))

        let count = try await runner.runUntilIdle(queues: Self.allQueues)

        #expect(count == 1)
        #expect(await queue.inProgressCount() == 0)
        #expect(await queue.retryJobs().isEmpty)
        #expect(await queue.deadJobs().isEmpty)
        #expect(await queue.isIdle())
    }

    @Test("successful job is acknowledged")
    func successAcknowledged() async throws {
        try await expectOneJobFinished(by: runner)
    }

    @Test("failed acknowledgement of a finished job is not retried as a job")
    func lostAcknowledgementReply() async throws {
        let lossy = LostReplyQueue(base: queue, failures: 2)
        let runner = JobRunner(
            queue: lossy, dispatcher: pipeline.dispatcher, clock: clock, maintenancePause: .seconds(1),
            logger: pipeline.logger, metrics: pipeline.metrics)
        try await expectOneJobFinished(by: runner)
    }

    @Test("job durations recorded per queue")
    func jobDurationsRecorded() async throws {
        try await queue.push(JobPayload.timingInfo(JobID(1)).makeJob(at: clock.now()))
        let failing = Job(className: "Nope", queue: "archive", args: [], retry: 3, createdAt: clock.now())
        try await queue.push(failing)

        #expect(try await runner.runUntilIdle(queues: Self.allQueues) == 2)
        let exposition = pipeline.metrics.renderPrometheus()

        #expect(exposition.contains(#"travis_logs_job_duration_seconds_count{queue="timing_info"} 1"#))
        #expect(exposition.contains(#"travis_logs_job_duration_seconds_count{queue="archive"} 1"#))
    }

    @Test("runNext returns false when no job is due")
    func runNextEmpty() async throws {
        #expect(try await runner.runNext(from: Self.allQueues, timeout: .zero) == false)
    }

    @Test("unknown job class is retried, then buried")
    func unknownClassRetriesThenDies() async throws {
        let job = Job(
            className: "Travis::Logs::Sidekiq::Unknown", queue: "archive", args: [1], retry: 3, createdAt: clock.now())
        try await queue.push(job)

        _ = try await runner.runNext(from: Self.allQueues, timeout: .zero)
        let firstRetry = try #require(await queue.retryJobs().first)

        #expect(await queue.inProgressCount() == 0)
        #expect(firstRetry.job.jid == job.jid)
        #expect(firstRetry.job.retryCount == 0)
        #expect(firstRetry.job.errorClass == "LogsError.unknown_job_class")
        #expect(firstRetry.job.errorMessage?.contains("Travis::Logs::Sidekiq::Unknown") == true)
        #expect(firstRetry.job.failedAt == clock.now().timeIntervalSince1970)
        #expect(firstRetry.due == clock.now().addingTimeInterval(15))

        for count in 1...3 {
            let due = try #require(await queue.retryJobs().first?.due)
            clock.advance(by: .seconds(due.timeIntervalSince(clock.now())))

            let ran = try await runner.runNext(from: Self.allQueues, timeout: .zero)

            #expect(ran, "retry \(count) did not run when due")
            if count < 3 {
                #expect(await queue.retryJobs().first?.job.retryCount == count)
                #expect(
                    await queue.retryJobs().first?.due
                        == clock.now().addingTimeInterval(TimeInterval(count * count * count * count + 15)))
            }
        }

        let dead = await queue.deadJobs()
        #expect(await queue.retryJobs().isEmpty)
        #expect(dead.count == 1)
        #expect(dead.first?.jid == job.jid)
        #expect(dead.first?.retryCount == 3)
        #expect(dead.first?.errorClass == "LogsError.unknown_job_class")
        #expect(await queue.inProgressCount() == 0)
    }

    @Test("retried job does not run before it is due")
    func retryNotEarly() async throws {
        let job = Job(className: "Nope", queue: "archive", args: [], retry: 3, createdAt: clock.now())
        try await queue.push(job)
        _ = try await runner.runNext(from: Self.allQueues, timeout: .zero)

        clock.advance(by: .seconds(14))

        #expect(try await runner.runNext(from: Self.allQueues, timeout: .zero) == false)
    }

    @Test("non-numeric aggregate argument is buried at once")
    func invalidAggregateDies() async throws {
        let job = Job(
            className: JobPayload.ClassName.aggregate, queue: "aggregate", args: ["not-a-number"], retry: 3,
            createdAt: clock.now())
        try await queue.push(job)

        _ = try await runner.runNext(from: Self.allQueues, timeout: .zero)
        let dead = await queue.deadJobs()

        #expect(await queue.retryJobs().isEmpty)
        #expect(dead.count == 1)
        #expect(dead.first?.jid == job.jid)
        #expect(dead.first?.errorClass == "LogsError.invalid_job")
        #expect(dead.first?.failedAt == clock.now().timeIntervalSince1970)
        #expect(await queue.inProgressCount() == 0)
    }

    @Test("job with retry: false that fails is dropped")
    func retryFalseDiscarded() async throws {
        let job = Job(className: "Nope", queue: "maintenance", args: [], retry: false, createdAt: clock.now())
        try await queue.push(job)

        _ = try await runner.runNext(from: Self.allQueues, timeout: .zero)

        #expect(await queue.retryJobs().isEmpty)
        #expect(await queue.deadJobs().isEmpty)
        #expect(await queue.isIdle())
    }

    @Test("job under maintenance waits and runs without using a retry")
    func maintenanceWaits() async throws {
        try await pipeline.maintenance.enable(for: .seconds(5))
        let part = RawLogPart(jobID: JobID(77), log: "hello", number: .number(1))
        try await queue.push(JobPayload.logParts([part]).makeJob(at: clock.now()))

        let running = Task { try await runner.runNext(from: Self.allQueues, timeout: .zero) }
        let paused = try await eventually { clock.sleeperCount == 1 }
        let storedDuringPause = try await pipeline.store.log(jobID: JobID(77))
        clock.advance(by: .seconds(3))
        let pausedAgain = try await eventually { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(3))
        let outcome = await running.resultWithin(.seconds(10))

        #expect(paused)
        #expect(storedDuringPause == nil)
        #expect(pausedAgain)
        #expect((try? outcome?.get()) == true, "the job did not run once maintenance ended")
        #expect(try await pipeline.store.log(jobID: JobID(77)) != nil)
        #expect(await queue.retryJobs().isEmpty)
        #expect(await queue.deadJobs().isEmpty)
        #expect(await queue.inProgressCount() == 0)
    }

    @Test("stop makes run return")
    func stopEndsRun() async throws {
        let finished = FinishFlag()
        Task {
            await runner.run(queues: Self.allQueues, concurrency: 2, pollTimeout: .seconds(1))
            await finished.set()
        }
        let polling = try await eventually { clock.sleeperCount >= 2 }

        runner.stop()
        let returned = try await eventually {
            clock.advance(by: .seconds(1))
            return await finished.isSet
        }

        #expect(polling)
        #expect(runner.isStopping)
        #expect(returned)
    }

    @Test("run processes jobs pushed while it polls")
    func runProcessesPushedJobs() async throws {
        let finished = FinishFlag()
        Task {
            await runner.run(queues: Self.allQueues, concurrency: 1, pollTimeout: .seconds(1))
            await finished.set()
        }
        _ = try await eventually { clock.sleeperCount >= 1 }

        try await queue.push(JobPayload.timingInfo(JobID(5)).makeJob(at: clock.now()))
        let processed = try await eventually { await queue.isIdle() }
        runner.stop()
        let returned = try await eventually {
            clock.advance(by: .seconds(1))
            return await finished.isSet
        }

        #expect(processed)
        #expect(returned)
    }

    /// Pushes one job and starts `run` on one task with a runner on `wrapped`, which wraps `queue`.
    /// Returns the runner and the flag set when `run` returns.
    private func runOneJob(through wrapped: any JobQueue) async throws -> (JobRunner, FinishFlag) {
        let runner = JobRunner(
            queue: wrapped, dispatcher: pipeline.dispatcher, clock: clock, maintenancePause: .seconds(1),
            logger: pipeline.logger, metrics: pipeline.metrics)
        try await queue.push(JobPayload.timingInfo(JobID(1)).makeJob(at: clock.now()))
        let finished = FinishFlag()
        Task {
            await runner.run(queues: Self.allQueues, concurrency: 1, pollTimeout: .seconds(1))
            await finished.set()
        }
        return (runner, finished)
    }

    @Test("run returns after acknowledgement in flight")
    func runWaitsForPendingAcknowledgement() async throws {
        let gated = GatedAcknowledgementQueue(base: queue)
        let (runner, finished) = try await runOneJob(through: gated)
        // The task polls for its next job while the acknowledgement of the first one is held.
        let acknowledging = try await eventually { gated.heldCount == 1 && clock.sleeperCount == 1 }

        runner.stop()
        let pollEnded = try await eventually {
            clock.advance(by: .seconds(1))
            return clock.sleeperCount == 0
        }
        try await Task.sleep(for: .milliseconds(50))
        let returnedEarly = await finished.isSet
        let pendingAtStop = runner.pendingAcknowledgementCount
        let inProgressAtStop = await queue.inProgressCount()
        gated.open()
        let returned = try await eventually { await finished.isSet }

        #expect(acknowledging)
        #expect(pollEnded)
        #expect(!returnedEarly, "run returned before the acknowledgement ended")
        #expect(pendingAtStop == 1)
        #expect(inProgressAtStop == 1)
        #expect(returned)
        #expect(runner.pendingAcknowledgementCount == 0)
        #expect(await queue.inProgressCount() == 0)
        #expect(await queue.retryJobs().isEmpty)
    }

    @Test("lost acknowledgement reply retried in background")
    func lostAcknowledgementReplyInBackground() async throws {
        let lossy = LostReplyQueue(base: queue, failures: 2)
        let (runner, finished) = try await runOneJob(through: lossy)

        // The waits between attempts are 200 ms and 400 ms of real time.
        let acknowledged = try await eventually { lossy.attemptCount == 3 && runner.pendingAcknowledgementCount == 0 }
        runner.stop()
        let returned = try await eventually {
            clock.advance(by: .seconds(1))
            return await finished.isSet
        }

        #expect(acknowledged)
        #expect(lossy.attemptCount == 3)
        #expect(returned)
        #expect(await queue.inProgressCount() == 0)
        #expect(await queue.retryJobs().isEmpty)
        #expect(await queue.deadJobs().isEmpty)
        #expect(await queue.isIdle())
    }

    @Test("acknowledger waits at its limit")
    func acknowledgerWaitsAtLimit() async throws {
        let gated = GatedAcknowledgementQueue(base: queue)
        let acknowledger = BackgroundAcknowledger(queue: gated, limit: 2, logger: pipeline.logger)
        try await queue.push((1...3).map { JobPayload.archive(LogID(Int64($0))).makeJob(at: clock.now()) })
        var reserved: [ReservedJob] = []
        for _ in 1...3 {
            reserved.append(try #require(try await queue.reserve(from: Self.allQueues, timeout: .zero)))
        }

        for job in reserved.prefix(2) { await acknowledger.acknowledge(job, metadata: [:]) }
        let third = FinishFlag()
        Task {
            await acknowledger.acknowledge(reserved[2], metadata: [:])
            await third.set()
        }
        // The drain task passes both jobs in one list, which the double acknowledges one by one.
        let firstHeld = try await eventually { gated.heldCount == 1 }
        try await Task.sleep(for: .milliseconds(50))
        let outstandingAtLimit = acknowledger.outstandingCount
        let thirdStartedEarly = await third.isSet
        gated.open()
        let thirdStarted = try await eventually { await third.isSet }
        await acknowledger.waitUntilIdle()

        #expect(firstHeld)
        #expect(outstandingAtLimit == 2)
        #expect(!thirdStartedEarly, "a third acknowledgement started beyond the limit of 2")
        #expect(thirdStarted)
        #expect(acknowledger.outstandingCount == 0)
        #expect(await queue.inProgressCount() == 0)
    }
}

/// A queue whose acknowledgements wait until `open()` before they reach the base queue.
private final class GatedAcknowledgementQueue: ForwardingJobQueue {
    private struct State {
        var isOpen = false
        var held: [CheckedContinuation<Void, Never>] = []
    }

    let base: any JobQueue
    private let state = Mutex(State())

    init(base: any JobQueue) {
        self.base = base
    }

    /// The number of acknowledgements waiting for `open()`.
    var heldCount: Int {
        state.withLock { $0.held.count }
    }

    func open() {
        let held = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    func acknowledge(_ job: ReservedJob) async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isOpen = state.withLock { state -> Bool in
                if !state.isOpen { state.held.append(continuation) }
                return state.isOpen
            }
            if isOpen { continuation.resume() }
        }
        try await base.acknowledge(job)
    }
}

/// A queue whose first `failures` acknowledgements throw after the base queue removed the job,
/// as when Redis runs the removal and the connection drops before the reply.
private final class LostReplyQueue: ForwardingJobQueue {
    let base: any JobQueue
    private let remainingFailures: Mutex<Int>
    private let attempts = Mutex(0)

    init(base: any JobQueue, failures: Int) {
        self.base = base
        remainingFailures = Mutex(failures)
    }

    /// The number of `acknowledge` calls so far.
    var attemptCount: Int {
        attempts.withLock { $0 }
    }

    func acknowledge(_ job: ReservedJob) async throws {
        attempts.withLock { $0 += 1 }
        try await base.acknowledge(job)
        let fails = remainingFailures.withLock { remaining in
            defer { remaining -= 1 }
            return remaining > 0
        }
        if fails { throw LostReply() }
    }
}

/// The error of an acknowledgement whose reply was lost.
private struct LostReply: Error {}

/// Records that a task has finished.
private actor FinishFlag {
    var isSet = false

    func set() {
        isSet = true
    }
}
