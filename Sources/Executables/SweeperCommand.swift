import CommandLineSupport
import Foundation
import LogsCore
import LogsHTTP
import LogsStorage
import LogsTransport

/// `travis-logs sweeper`: queues the aggregation of logs whose aggregation was missed, as the
/// original `aggregate_sweeper` process does.
///
/// Every `intervals.aggregate` seconds, under the Redis lock shared by all sweepers, it reads
/// PostgreSQL and pushes `aggregate` jobs to the Redis queue. SIGTERM or SIGINT ends the sweep in
/// progress and exits 0.
enum SweeperCommand {
    /// Sweeps until SIGTERM or SIGINT, then exits 0; exits 2 when it cannot start.
    static func run(_ options: ServiceOptions) -> Never {
        let environment = ProcessInfo.processInfo.environment
        let pipeline: Pipeline
        let pool: RedisConnectionPool
        let metricsServer: HTTPServer?
        do {
            let configuration = try LogsConfiguration(environment: environment)
            (pipeline, pool) = try makePipeline(configuration: configuration)
            metricsServer = try ProcessSupport.startMetricsServer(
                port: options.metricsPort, metrics: pipeline.metrics, environment: environment,
                logger: pipeline.logger)
        } catch {
            CommandLineTool.fail("sweeper cannot start: \(error)")
        }
        ProcessSupport.logStart(pipeline.logger, process: "sweeper", configuration: pipeline.configuration)
        let failure = ProcessSupport.runUntilStopped { stopRequests in
            let sweeper = pipeline.sweeper
            let sweeping = Task { await sweeper.run() }
            await ProcessSupport.waitForStop(stopRequests)
            pipeline.logger.info("sweeper stopping")
            sweeping.cancel()
            await sweeping.value
            await metricsServer?.shutdown()
            await (pipeline.store as? PostgresPartStore)?.client.close()
        }
        pool.close()
        pipeline.logger.info("sweeper stopped")
        if let failure { CommandLineTool.fail("sweeper failed: \(failure)") }
        exit(0)
    }

    /// Builds the sweeper's pipeline: PostgreSQL for the store, Redis for the queue, the lock and
    /// the maintenance switch. The sweeper archives nothing and sends nothing to Pusher.
    ///
    /// - Throws: `ConfigurationError` or `RedisError`.
    static func makePipeline(configuration: LogsConfiguration) throws -> (Pipeline, RedisConnectionPool) {
        var logger = Logger(label: "travis-logs.sweeper")
        logger.logLevel = configuration.logLevel
        let pool = try RedisConnectionPool(configuration: configuration, logger: logger)
        let postgres = PostgresConfiguration(
            configuration: configuration, applicationName: "travis-logs-sweeper",
            statementTimeout: PostgresConfiguration.workerStatementTimeout)
        let pipeline = Pipeline(
            store: PostgresPartStore(configuration: postgres, logger: logger), archive: UnconfiguredArchive(),
            queue: RedisJobQueue(pool: pool, namespace: configuration.sidekiq.namespace, logger: logger),
            pusher: nil, liveStream: nil, presence: RedisChannelPresence(pool: pool),
            maintenance: RedisMaintenanceSwitch(pool: pool), lock: RedisLock(pool: pool),
            logIDCache: InMemoryLogIDCache(capacity: 1), ignoredIDs: RedisIgnoredIDs(pool: pool), clock: SystemClock(),
            configuration: configuration, logger: logger, metrics: MetricsRegistry())
        return (pipeline, pool)
    }
}
