import CommandLineSupport
import Dispatch
import Foundation
import LogsCore
import LogsHTTP
import LogsStorage
import LogsTransport

/// `travis-logs web [--port N]`: the HTTP API.
///
/// Logs and parts are read from PostgreSQL through `DATABASE_URL`. Parts received go to the Redis
/// queues at `REDIS_URL`, where workers store and forward them. The stream endpoint gets the
/// parts that workers forward from the Redis pub/sub channel `logs:live-parts`, on one subscriber
/// connection, and marks the jobs its clients watch, so that workers publish only those jobs' parts. `BIND_ADDRESS` (default `0.0.0.0`) and `--port` or `PORT` (default 5555) choose
/// where it listens. SIGTERM or SIGINT stops accepting connections, lets requests in progress
/// finish, and exits 0.
enum WebCommand {
    /// Serves the API until SIGTERM or SIGINT, then exits 0; exits 2 when it cannot start.
    static func run(_ options: ServiceOptions) -> Never {
        let environment = ProcessInfo.processInfo.environment
        let pipeline: Pipeline
        let liveEvents: RedisLiveEventSource
        var server = HTTPServerConfiguration()
        do {
            let configuration = try LogsConfiguration(environment: environment)
            pipeline = try makePipeline(configuration: configuration)
            liveEvents = RedisLiveEventSource(
                endpoint: try RedisEndpoint(url: configuration.redisURL, usesTLS: configuration.redisSSL),
                audience: pipeline.streamAudience, logger: pipeline.logger)
            server.port = options.port ?? configuration.port
            server.bindAddress = configuration.bindAddress
            ProcessSupport.logStart(pipeline.logger, process: "web", configuration: configuration)
        } catch {
            CommandLineTool.fail("web cannot start: \(error)")
        }

        let (stopRequests, requestStop) = AsyncStream.makeStream(of: Void.self)
        let signals = WorkerCommand.trapStopSignals { requestStop.yield() }
        let done = DispatchSemaphore(value: 0)
        let failure = Failure()
        Task {
            liveEvents.start()
            do {
                try await serve(
                    pipeline: pipeline, server: server, liveEvents: liveEvents, version: CommandLineTool.version
                ) {
                    for await _ in stopRequests { return }
                }
            } catch {
                failure.message = "\(error)"
            }
            liveEvents.stop()
            done.signal()
        }
        done.wait()

        withExtendedLifetime(signals) {}
        if let message = failure.message { CommandLineTool.fail("web failed: \(message)") }
        exit(0)
    }

    /// Serves the API on `pipeline` until `waitForStop` returns, then shuts the server down after
    /// the requests in progress.
    static func serve(
        pipeline: Pipeline, server configuration: HTTPServerConfiguration, liveEvents: (any LiveEventSource)?,
        version: String, waitForStop: () async -> Void
    ) async throws {
        let api = try LogsAPI.configured(
            pipeline: pipeline, liveEvents: liveEvents, settings: LogsAPI.Settings(version: version))
        let server = HTTPServer(
            router: api.makeRouter(), configuration: configuration, logger: pipeline.logger, metrics: pipeline.metrics)
        try server.start()
        await waitForStop()
        pipeline.logger.info("stopping the HTTP server")
        await server.shutdown()
    }

    /// Builds the web pipeline: Redis for the queue and coordination, PostgreSQL for the store, and
    /// the archive and Pusher that the configuration sets.
    ///
    /// The maintenance switch and the ignored ids are read from Redis at most once a second, per id
    /// for the ignored ids. A change made with redis-cli or by another process therefore takes effect
    /// in web up to a second later.
    ///
    /// - Throws: `ConfigurationError`, `RedisError`, or the archive's and Pusher's configuration
    ///   errors.
    static func makePipeline(configuration: LogsConfiguration) throws -> Pipeline {
        var logger = Logger(label: "travis-logs.web")
        logger.logLevel = configuration.logLevel
        let pool = try RedisConnectionPool(configuration: configuration, logger: logger)
        let metrics = MetricsRegistry()
        // Web never archives, so it needs no S3 settings while archiving is on for the workers.
        var componentSettings = configuration
        if componentSettings.s3.accessKeyID.isEmpty { componentSettings.logs.archive = false }
        let components = try ProductionComponents(
            configuration: componentSettings, applicationName: "travis-logs-web",
            statementTimeout: PostgresConfiguration.webStatementTimeout, logger: logger, metrics: metrics)
        return Pipeline(
            store: components.store, archive: components.archive,
            queue: RedisJobQueue(pool: pool, namespace: configuration.sidekiq.namespace, logger: logger),
            pusher: components.pusher, liveStream: nil, streamAudience: RedisLiveStreamAudience(pool: pool),
            presence: RedisChannelPresence(pool: pool),
            maintenance: CachedMaintenanceSwitch(RedisMaintenanceSwitch(pool: pool), maximumAge: .seconds(1)),
            lock: RedisLock(pool: pool),
            logIDCache: InMemoryLogIDCache(capacity: max(1, configuration.logs.cacheSizeBytes / 64)),
            ignoredIDs: CachedIgnoredIDs(RedisIgnoredIDs(pool: pool), maximumAge: .seconds(1)), clock: SystemClock(),
            configuration: configuration,
            logger: logger, metrics: metrics)
    }

    /// The error of the serving task, read after it has signalled.
    ///
    /// `@unchecked Sendable`: the task writes `message` before signalling the semaphore, and the
    /// main thread reads it only after waiting on it.
    private final class Failure: @unchecked Sendable {
        var message: String?
    }
}
