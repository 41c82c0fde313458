import CommandLineSupport
import Foundation
import LogsCore
import LogsTransport

/// `travis-logs maintenance`: pushes one partition maintenance job to the Redis `maintenance`
/// queue and exits, as the original `bin/travis-logs-run-maintenance` does. A scheduler runs it,
/// for example once an hour, and a worker on the `maintenance` queue runs the job.
enum MaintenanceCommand {
    /// Pushes the job, logs its jid, and exits 0; exits 2 when the job cannot be pushed.
    static func run(_ options: ServiceOptions) -> Never {
        let environment = ProcessInfo.processInfo.environment
        let configuration: LogsConfiguration
        let pool: RedisConnectionPool
        var startLogger = Logger(label: "travis-logs.maintenance")
        do {
            configuration = try LogsConfiguration(environment: environment)
            startLogger.logLevel = configuration.logLevel
            pool = try RedisConnectionPool(configuration: configuration, size: 1, logger: startLogger)
        } catch {
            CommandLineTool.fail("maintenance cannot start: \(error)")
        }

        let logger = startLogger
        ProcessSupport.logStart(logger, process: "maintenance", configuration: configuration)
        let queue = RedisJobQueue(pool: pool, namespace: configuration.sidekiq.namespace, logger: logger)
        let job = JobPayload.partmanMaintenance.makeJob(at: Date())

        // SIGTERM or SIGINT while the push waits for Redis stops waiting, and the job may or may
        // not have been queued then.
        let failure = ProcessSupport.runUntilStopped { stopRequests in
            let pushed = try await push(job, to: queue, unless: stopRequests)
            if pushed {
                logger.info(
                    "partition maintenance job queued",
                    metadata: ["jid": "\(job.jid)", "class": "\(job.className)", "queue": "\(job.queue)"])
            } else {
                logger.warning(
                    "maintenance stopped while queuing the job; it may not be queued", metadata: ["jid": "\(job.jid)"])
            }
        }

        pool.close()
        logger.info("maintenance stopped")
        if let failure { CommandLineTool.fail("maintenance failed to queue the job: \(failure)") }
        exit(0)
    }

    /// Pushes `job` unless a stop request comes first.
    ///
    /// - Returns: whether the push finished.
    private static func push(_ job: Job, to queue: RedisJobQueue, unless stopRequests: AsyncStream<Void>) async throws
        -> Bool
    {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await queue.push(job)
                return true
            }
            group.addTask {
                await ProcessSupport.waitForStop(stopRequests)
                return false
            }
            let pushed = try await group.next() ?? false
            group.cancelAll()
            return pushed
        }
    }
}
