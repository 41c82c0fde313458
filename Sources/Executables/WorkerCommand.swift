import CommandLineSupport
import Dispatch
import Foundation
import LogsCore
import LogsHTTP
import LogsStorage
import LogsTransport

/// `travis-logs worker --queue NAME[,WEIGHT] ... --concurrency N`: runs jobs from Redis queues.
///
/// SIGTERM and SIGINT stop it taking jobs. Running jobs get 25 seconds to finish, then the rest
/// go back to their queues and the process exits 0.
enum WorkerCommand {
    /// Runs the worker until SIGTERM or SIGINT, then exits 0; exits 2 when it cannot start.
    static func run(_ options: WorkerOptions) -> Never {
        let environment = ProcessInfo.processInfo.environment
        let worker: RedisWorker
        let metricsServer: HTTPServer?
        do {
            let metrics = MetricsRegistry()
            worker = try makeWorker(options: options, environment: environment, metrics: metrics)
            metricsServer = try ProcessSupport.startMetricsServer(
                port: options.metricsPort, metrics: metrics, environment: environment,
                logger: Logger(label: "travis-logs.worker"))
        } catch {
            CommandLineTool.fail("worker cannot start: \(error)")
        }
        let signals = trapStopSignals { worker.stop() }
        let done = DispatchSemaphore(value: 0)
        Task {
            await worker.run()
            await metricsServer?.shutdown()
            done.signal()
        }
        done.wait()
        withExtendedLifetime(signals) {}
        exit(0)
    }

    /// Builds the worker on Redis for the queue and coordination, and on the production store and
    /// archive.
    ///
    /// - Throws: `ConfigurationError`, `RedisError` (for example for `REDIS_SSL=true`), or the
    ///   archive's and Pusher's configuration errors.
    static func makeWorker(
        options: WorkerOptions, environment: [String: String], metrics: MetricsRegistry
    ) throws -> RedisWorker {
        let configuration = try LogsConfiguration(environment: environment)
        let logger = Logger(label: "travis-logs.worker")
        ProcessSupport.logStart(logger, process: "worker", configuration: configuration)
        // Each job task keeps a connection while it waits for a job, and the heartbeat, promotion and
        // the jobs' own Redis calls need a few more.
        let pool = try RedisConnectionPool(
            configuration: configuration, size: max(configuration.sidekiq.poolSize, options.concurrency + 3),
            logger: logger)
        let queue = RedisJobQueue(pool: pool, namespace: configuration.sidekiq.namespace, logger: logger)
        let components = try ProductionComponents(
            configuration: configuration, applicationName: "travis-logs-worker",
            statementTimeout: PostgresConfiguration.workerStatementTimeout, logger: logger, metrics: metrics)
        // Parts forwarded by logs.pusher_forwarding jobs are published for the stream clients of
        // every web process, for the jobs those clients watch, as read at most once a second per job.
        // The maintenance switch is read at most once a second instead of once
        // per log_parts job. Partition maintenance waits `maintenance_initial_sleep` (30 s by
        // default) after turning the switch on, so every worker sees it before the maintenance starts.
        let pipeline = Pipeline(
            store: components.store, archive: components.archive, queue: queue,
            pusher: components.pusher.map(coalescedPusher), liveStream: coalescedLiveStream(pool: pool),
            streamAudience: CachedLiveStreamAudience(RedisLiveStreamAudience(pool: pool), maximumAge: .seconds(1)),
            presence: CachedChannelPresence(RedisChannelPresence(pool: pool), maximumAge: .seconds(1)),
            maintenance: CachedMaintenanceSwitch(RedisMaintenanceSwitch(pool: pool), maximumAge: .seconds(1)),
            lock: RedisLock(pool: pool),
            logIDCache: InMemoryLogIDCache(capacity: max(1, configuration.logs.cacheSizeBytes / 64)),
            ignoredIDs: RedisIgnoredIDs(pool: pool), clock: SystemClock(), configuration: configuration,
            logger: logger, metrics: metrics)
        let queues = options.queues.isEmpty ? JobPayload.Queue.all.map { WeightedQueue($0) } : options.queues
        return RedisWorker(
            queue: queue, runner: pipeline.makeJobRunner(), queues: queues,
            concurrency: options.concurrency, logger: logger)
    }

    /// Sends the Pusher events of concurrent forwarding jobs together, in `batch_events` requests
    /// of up to 10 events, one per Pusher connection at a time. A forwarding job usually carries
    /// one or two parts, so one request per job would cap forwarding at the rate of Pusher requests.
    static func coalescedPusher(_ pusher: any Broadcaster) -> any Broadcaster {
        let connections = (pusher as? PusherBroadcaster)?.connections ?? 1
        return CoalescingBroadcaster(
            pusher, maximumBatchSize: PusherBroadcaster.maximumBatchSize, maximumConcurrentSends: connections)
    }

    /// Publishes the live events of concurrent forwarding jobs together, one pipeline of `PUBLISH`
    /// commands per round trip, with at most two round trips under way.
    static func coalescedLiveStream(pool: RedisConnectionPool) -> any Broadcaster {
        CoalescingBroadcaster(RedisLiveBroadcaster(pool: pool), maximumBatchSize: 1_000, maximumConcurrentSends: 2)
    }

    /// Calls `stop` on SIGTERM or SIGINT. Keep the returned sources alive while they are needed.
    ///
    /// The signals are unblocked on the calling thread first, because a parent may start this
    /// process with them blocked: Foundation's `Process` on Linux does.
    static func trapStopSignals(_ stop: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        return [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            return source
        }
    }
}
