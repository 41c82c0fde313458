import Foundation
import LogsCore
import Synchronization

/// The life of a `travis-logs worker` process: recover the jobs of dead processes, run jobs from
/// the given queues until `stop()`, then hand back what is still held.
///
/// On `stop()` the runner takes no new jobs and the running ones get `shutdownTimeout` to finish.
/// After that they are cancelled, and the runner puts a cancelled job back at the front of its
/// queue. The runner returns once the acknowledgements of finished jobs have ended, and while
/// Redis is unreachable each of them is retried for about 16 s. Last, `RedisJobQueue.close()`
/// pushes back anything still in this process's in-progress list and removes its heartbeat.
public final class RedisWorker: Sendable {
    public let queue: RedisJobQueue
    public let runner: JobRunner
    public let queues: [WeightedQueue]
    public let concurrency: Int
    public let shutdownTimeout: Duration
    private let logger: Logger
    private let stopRequests: AsyncStream<Void>
    private let stopRequester: AsyncStream<Void>.Continuation
    private let stopFlag = Mutex(false)

    public init(
        queue: RedisJobQueue, runner: JobRunner, queues: [WeightedQueue], concurrency: Int,
        shutdownTimeout: Duration = .seconds(25), logger: Logger
    ) {
        self.queue = queue
        self.runner = runner
        self.queues = queues
        self.concurrency = max(1, concurrency)
        self.shutdownTimeout = shutdownTimeout
        self.logger = logger
        (stopRequests, stopRequester) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks `run()` to stop; safe to call from a signal handler's queue and more than once.
    public func stop() {
        stopFlag.withLock { $0 = true }
        stopRequester.yield()
    }

    /// Runs jobs until `stop()`, then finishes or hands back every job it holds.
    ///
    /// While Redis is unreachable at start, it waits and tries again with backoff until `stop()`.
    /// When Redis is unreachable at the final hand-back, the jobs stay in the in-progress list,
    /// where the next process finds them, and the error is logged.
    public func run() async {
        guard let recovered = await register() else { return }
        logger.info(
            "worker started",
            metadata: [
                "identity": "\(queue.identity)", "queues": "\(queues.map { "\($0.name),\($0.weight)" })",
                "concurrency": "\(concurrency)", "recovered_jobs": "\(recovered)",
            ])
        let running = Task { [runner, queues, concurrency] in
            await runner.run(queues: queues, concurrency: concurrency)
        }
        await waitForStop()

        logger.info("worker stopping: no new jobs", metadata: ["identity": "\(queue.identity)"])
        runner.stop()
        let deadline = Task { [logger, shutdownTimeout] in
            guard (try? await Task.sleep(for: shutdownTimeout)) != nil else { return }
            logger.warning(
                "jobs still running after the shutdown timeout are cancelled and queued again",
                metadata: ["timeout_seconds": "\(shutdownTimeout.timeInterval)"])
            running.cancel()
        }
        await running.value
        deadline.cancel()
        do {
            try await queue.close()
            logger.info("worker stopped", metadata: ["identity": "\(queue.identity)"])
        } catch {
            logger.error(
                "handing back jobs at stop failed; the next worker process pushes them back",
                metadata: ["identity": "\(queue.identity)", "error": "\(error)"])
        }
    }

    /// Starts the heartbeat and recovers dead processes' jobs, retrying until it works.
    ///
    /// A failure to connect is logged once, by the pool's reconnect backoff, and retried after
    /// that backoff's delay. Other failures are logged here and retried with a delay of its own.
    ///
    /// - Returns: how many jobs were recovered, or nil when `stop()` came first.
    private func register() async -> Int? {
        var attempt = 0
        while !isStopRequested {
            do {
                try await queue.startIfNeeded()
                return try await queue.recoverDeadProcesses()
            } catch let error as RedisError where error.isLoggedByReconnectBackoff {
                await sleepUnlessStopped(for: queue.pool.reconnectDelay)
            } catch {
                attempt += 1
                let delay = Duration.seconds(min(30, 1 << min(attempt - 1, 5)))
                logger.warning(
                    "worker start failed, retrying",
                    metadata: [
                        "error": "\(error)", "attempt": "\(attempt)", "retry_in_seconds": "\(delay.timeInterval)",
                    ])
                await sleepUnlessStopped(for: delay)
            }
        }
        return nil
    }

    /// Sleeps in short steps so that `stop()` during a long retry delay is noticed quickly.
    private func sleepUnlessStopped(for delay: Duration) async {
        let deadline = ContinuousClock.now + delay
        while !isStopRequested && ContinuousClock.now < deadline {
            try? await Task.sleep(for: min(.milliseconds(100), ContinuousClock.now.duration(to: deadline)))
        }
    }

    private var isStopRequested: Bool {
        stopFlag.withLock { $0 }
    }

    private func waitForStop() async {
        for await _ in stopRequests { return }
    }
}
