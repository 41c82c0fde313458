import Foundation
import Synchronization

/// Takes jobs from a `JobQueue` and runs them, with Sidekiq's retries and the maintenance back-off.
///
/// A job that meets the maintenance switch waits `maintenancePause` and runs again, without using
/// a retry, as the original's error middleware does. Other failures go to the retry set with
/// Sidekiq's backoff, then to the dead set. On `stop()` the runner takes no new jobs and lets the
/// ones running finish; a job interrupted by cancellation is put back at the front of its queue.
///
/// In `run`, a finished job's acknowledgement goes to a `BackgroundAcknowledger`, and the task
/// takes its next job at once. `run` returns only after every outstanding acknowledgement ended.
public final class JobRunner: Sendable {
    private let queue: any JobQueue
    private let dispatcher: JobDispatcher
    private let clock: any LogsClock
    private let retryPolicy: SidekiqRetryPolicy
    private let maintenancePause: Duration
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let stopping = Mutex(false)
    private let acknowledger: BackgroundAcknowledger

    /// - Parameter maximumPendingAcknowledgements: how many finished jobs `run` lets wait for their
    ///   acknowledgement before a task waits too. A process killed meanwhile runs them again.
    public init(
        queue: any JobQueue, dispatcher: JobDispatcher, clock: any LogsClock,
        retryPolicy: SidekiqRetryPolicy = SidekiqRetryPolicy(), maintenancePause: Duration, logger: Logger,
        metrics: MetricsRegistry, maximumPendingAcknowledgements: Int = 64
    ) {
        self.queue = queue
        self.dispatcher = dispatcher
        self.clock = clock
        self.retryPolicy = retryPolicy
        self.maintenancePause = maintenancePause
        self.logger = logger
        self.metrics = metrics
        self.acknowledger = BackgroundAcknowledger(queue: queue, limit: maximumPendingAcknowledgements, logger: logger)
    }

    public var isStopping: Bool {
        stopping.withLock { $0 }
    }

    /// Stops taking new jobs; `run` returns once the jobs running now are done.
    public func stop() {
        stopping.withLock { $0 = true }
    }

    /// Runs jobs from `queues` on `concurrency` tasks until `stop()` or cancellation, then waits
    /// for the acknowledgements still outstanding, so a queue closed afterwards does not hand back
    /// finished jobs.
    ///
    /// - Parameter pollTimeout: how long one fetch waits for a job, which bounds how late a stop
    ///   is noticed.
    public func run(queues: [WeightedQueue], concurrency: Int, pollTimeout: Duration = .seconds(2)) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask { await self.loop(queues: queues, pollTimeout: pollTimeout) }
            }
        }
        await acknowledger.waitUntilIdle()
    }

    /// The number of finished jobs whose acknowledgement `run` started and that has not ended yet.
    public var pendingAcknowledgementCount: Int {
        acknowledger.outstandingCount
    }

    /// Runs jobs that are due now until none is left.
    ///
    /// - Returns: how many jobs ran.
    @discardableResult
    public func runUntilIdle(queues: [WeightedQueue]) async throws -> Int {
        var count = 0
        while try await runNext(from: queues, timeout: .zero) {
            count += 1
        }
        return count
    }

    /// Takes and runs one job, and returns once its acknowledgement ended.
    ///
    /// - Returns: whether a job was taken.
    public func runNext(from queues: [WeightedQueue], timeout: Duration) async throws -> Bool {
        try await runNext(from: queues, timeout: timeout, acknowledgesInBackground: false)
    }

    private func runNext(from queues: [WeightedQueue], timeout: Duration, acknowledgesInBackground: Bool)
        async throws -> Bool
    {
        guard let reserved = try await queue.reserve(from: queues, timeout: timeout) else { return false }
        await process(reserved, acknowledgesInBackground: acknowledgesInBackground)
        return true
    }

    private func loop(queues: [WeightedQueue], pollTimeout: Duration) async {
        var failures = 0
        while !isStopping && !Task.isCancelled {
            do {
                _ = try await runNext(from: queues, timeout: pollTimeout, acknowledgesInBackground: true)
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let delay = Duration.seconds(min(30, 1 << min(failures - 1, 5)))
                if failures == 1 || failures.isMultiple(of: 10) {
                    logger.error(
                        "fetching jobs failed, retrying",
                        metadata: [
                            "error": "\(error)", "attempt": "\(failures)", "delay_seconds": "\(delay.timeInterval)",
                        ])
                }
                try? await clock.sleep(for: delay)
            }
        }
    }

    private func process(_ reserved: ReservedJob, acknowledgesInBackground: Bool) async {
        let job = reserved.job
        let metadata: Logger.Metadata = ["jid": "\(job.jid)", "queue": "\(job.queue)", "class": "\(job.className)"]
        if let enqueuedAt = job.enqueuedAt {
            metrics.histogram(
                "travis_logs_queue_latency_seconds", labels: ["queue": job.queue],
                help: "Time jobs wait in their queue."
            )
            .observe(max(0, clock.now().timeIntervalSince1970 - enqueuedAt))
        }
        let outcome: JobDispatcher.Outcome
        do {
            outcome = try await performWaitingOutMaintenance(job, metadata: metadata)
        } catch is CancellationError {
            try? await queue.requeue(reserved)
            logger.info("job interrupted and queued again", metadata: metadata)
            return
        } catch {
            await fail(reserved, error: error, metadata: metadata)
            return
        }
        let result = outcome == .done ? "done" : "rescheduled"
        if acknowledgesInBackground {
            await acknowledger.acknowledge(reserved, metadata: metadata) { self.count(job, result: result) }
        } else {
            await acknowledger.acknowledgeNow(reserved, metadata: metadata)
            count(job, result: result)
        }
    }

    /// Runs the job, waiting while maintenance pauses jobs, and records how long that took.
    private func performWaitingOutMaintenance(_ job: Job, metadata: Logger.Metadata) async throws
        -> JobDispatcher.Outcome
    {
        let started = ContinuousClock.now
        defer {
            metrics.histogram(
                "travis_logs_job_duration_seconds", labels: ["queue": job.queue],
                help: "Time jobs take to run, failed ones and waits for maintenance to end included."
            )
            .observe(ContinuousClock.now - started)
        }
        var loggedPause = false
        while true {
            do {
                return try await dispatcher.perform(job)
            } catch let error as LogsError where error.code == .underMaintenance {
                if !loggedPause {
                    logger.warning("job waits for maintenance to end", metadata: metadata)
                    loggedPause = true
                }
                try await clock.sleep(for: maintenancePause)
            }
        }
    }

    private func fail(_ reserved: ReservedJob, error: any Error, metadata: Logger.Metadata) async {
        let job = reserved.job
        let errorClass = Job.errorClass(of: error)
        let message = "\(error)"
        let decision: SidekiqRetryPolicy.Decision
        if let logsError = error as? LogsError, logsError.code == .invalidJob {
            var failed = job
            failed.errorClass = errorClass
            failed.errorMessage = message
            failed.failedAt = clock.now().timeIntervalSince1970
            decision = .dead(failed)
        } else {
            decision = retryPolicy.decide(for: job, errorClass: errorClass, message: message, now: clock.now())
        }
        do {
            switch decision {
            case .retry(let updated, let date):
                try await queue.retry(reserved, as: updated, at: date)
                count(job, result: "retried")
                logger.warning(
                    "job failed, will retry",
                    metadata: metadata.merging(["error": "\(message)", "retry_count": "\(updated.retryCount ?? 0)"]) {
                        $1
                    })
            case .dead(let updated):
                try await queue.bury(reserved, as: updated)
                count(job, result: "dead")
                logger.error("job failed for good", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            case .discard:
                try await queue.acknowledge(reserved)
                count(job, result: "discarded")
                logger.error(
                    "job failed and is not retried", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            }
        } catch {
            logger.error(
                "recording a failed job failed; it stays in progress until recovered",
                metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    private func count(_ job: Job, result: String) {
        metrics.counter(
            "travis_logs_jobs_total", labels: ["queue": job.queue, "result": result],
            help: "Jobs run by queue and result."
        )
        .increment()
    }
}
