import Dispatch
import Foundation
import LogsCore
import LogsTransport

/// A worker process for the fault tests: `RedisWorker` on REDIS_URL like `travis-logs worker`, but
/// on in-memory storage, which is fine for jobs that the tests only count.
///
/// It reads the usual variables (REDIS_URL, TRAVIS_SIDEKIQ_NAMESPACE,
/// TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP), the optional FIXTURE_PROCESS_TIMEOUT_MS and
/// FIXTURE_PREFETCH (the queue's `prefetch`, 1 when unset), takes jobs from the
/// `maintenance` queue on two tasks, and prints the Prometheus metrics on stdout when it stops on
/// SIGTERM. The work happens outside top-level code, which is main-actor isolated, because the
/// signal handler and the task run on other threads.
enum RedisWorkerFixture {
    static func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try LogsConfiguration(environment: environment)
        let logger = Logger(label: "fixture")
        let pool = try RedisConnectionPool(configuration: configuration, size: 6, logger: logger)
        // Without FIXTURE_PROCESS_TIMEOUT_MS the queue keeps the production timings.
        var settings = RedisJobQueue.Settings()
        if let milliseconds = Int(environment["FIXTURE_PROCESS_TIMEOUT_MS"] ?? "") {
            let processTimeout = Duration.milliseconds(milliseconds)
            settings = RedisJobQueue.Settings(
                heartbeatInterval: processTimeout / 4, processTimeout: processTimeout,
                promotionInterval: .milliseconds(200), recoveryInterval: .milliseconds(500))
        }
        settings.prefetch = max(1, Int(environment["FIXTURE_PREFETCH"] ?? "") ?? 1)
        let queue = RedisJobQueue(
            pool: pool, namespace: configuration.sidekiq.namespace, settings: settings, logger: logger)
        var pipeline = Pipeline.inMemory(configuration: configuration, logger: logger)
        pipeline.queue = queue
        let metrics = pipeline.metrics
        let worker = RedisWorker(
            queue: queue, runner: pipeline.makeJobRunner(), queues: [WeightedQueue("maintenance")], concurrency: 2,
            shutdownTimeout: .seconds(5), logger: logger)

        signal(SIGTERM, SIG_IGN)
        let stopSource = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        stopSource.setEventHandler { worker.stop() }
        stopSource.resume()

        let done = DispatchSemaphore(value: 0)
        Task {
            await worker.run()
            print(metrics.renderPrometheus())
            done.signal()
        }
        done.wait()
        stopSource.cancel()
    }
}

try RedisWorkerFixture.run()
