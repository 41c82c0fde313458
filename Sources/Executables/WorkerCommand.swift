import Dispatch
import Foundation
import LogsCore
import LogsStorage
import LogsTransport

/// `travis-logs worker --queue NAME[,WEIGHT] ... --concurrency N`: runs jobs from Redis queues.
///
/// SIGTERM and SIGINT stop it taking jobs. Running jobs get 25 seconds to finish, then the rest
/// go back to their queues and the process exits 0.
enum WorkerCommand {
    struct Options: Equatable {
        var queues: [WeightedQueue] = []
        var concurrency = 5
    }

    static let usage = """
        usage: travis-logs worker [--queue NAME[,WEIGHT]]... [--concurrency N]

          --queue, -q        a queue to take jobs from, with an optional weight (default 1);
                             repeat for several queues; all queues when none is given
          --concurrency, -c  the number of jobs run at once (default 5)
        """

    static func main(_ arguments: [String]) {
        let parsed: Options?
        do {
            parsed = try parse(arguments)
        } catch {
            CommandLineTool.fail("\(error)\n\(usage)")
        }
        guard let options = parsed else {
            print(usage)
            return
        }
        let worker: RedisWorker
        do {
            worker = try makeWorker(options: options, environment: ProcessInfo.processInfo.environment)
        } catch {
            CommandLineTool.fail("worker cannot start: \(error)")
        }
        let signals = trapStopSignals { worker.stop() }
        let done = DispatchSemaphore(value: 0)
        Task {
            await worker.run()
            done.signal()
        }
        done.wait()
        withExtendedLifetime(signals) {}
        exit(0)
    }

    /// Reads `--queue` and `--concurrency`; nil for `--help`.
    ///
    /// - Throws: `WorkerError` naming the invalid option.
    static func parse(_ arguments: [String]) throws -> Options? {
        var options = Options()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--queue", "-q":
                guard let value = remaining.popFirst() else { throw WorkerError("\(argument) needs a value") }
                options.queues.append(try weightedQueue(value))
            case "--concurrency", "-c":
                guard let value = remaining.popFirst(), let count = Int(value), count > 0 else {
                    throw WorkerError("\(argument) needs a positive whole number")
                }
                options.concurrency = count
            case "--help", "-h":
                return nil
            default:
                throw WorkerError("unknown worker option \"\(argument)\"")
            }
        }
        if options.queues.isEmpty {
            options.queues = JobPayload.Queue.all.map { WeightedQueue($0) }
        }
        return options
    }

    private static func weightedQueue(_ value: String) throws -> WeightedQueue {
        let parts = value.split(separator: ",", omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty, parts.count <= 2 else {
            throw WorkerError("invalid queue \"\(value)\": expected NAME or NAME,WEIGHT")
        }
        guard parts.count == 2 else { return WeightedQueue(String(name)) }
        guard let weight = Int(parts[1]), weight > 0 else {
            throw WorkerError("invalid queue weight in \"\(value)\": expected a positive whole number")
        }
        return WeightedQueue(String(name), weight: weight)
    }

    /// Builds the worker on Redis for the queue and coordination, and on the production store and
    /// archive.
    ///
    /// - Throws: `ConfigurationError`, `RedisError` (for example for `REDIS_SSL=true`), or the
    ///   archive's and Pusher's configuration errors.
    static func makeWorker(options: Options, environment: [String: String]) throws -> RedisWorker {
        let configuration = try LogsConfiguration(environment: environment)
        let logger = Logger(label: "travis-logs.worker")
        // Each job task keeps a connection while it waits for a job, and the heartbeat, promotion and
        // the jobs' own Redis calls need a few more.
        let pool = try RedisConnectionPool(
            configuration: configuration, size: max(configuration.sidekiq.poolSize, options.concurrency + 3),
            logger: logger)
        let queue = RedisJobQueue(pool: pool, namespace: configuration.sidekiq.namespace, logger: logger)
        let metrics = MetricsRegistry()
        let components = try ProductionComponents(
            configuration: configuration, applicationName: "travis-logs-worker",
            statementTimeout: PostgresConfiguration.workerStatementTimeout, logger: logger, metrics: metrics)
        let pipeline = Pipeline(
            store: components.store, archive: components.archive, queue: queue, pusher: components.pusher,
            liveStream: nil,
            presence: RedisChannelPresence(pool: pool), maintenance: RedisMaintenanceSwitch(pool: pool),
            lock: RedisLock(pool: pool),
            logIDCache: InMemoryLogIDCache(capacity: max(1, configuration.logs.cacheSizeBytes / 64)),
            ignoredIDs: RedisIgnoredIDs(pool: pool), clock: SystemClock(), configuration: configuration,
            logger: logger, metrics: metrics)
        return RedisWorker(
            queue: queue, runner: pipeline.makeJobRunner(), queues: options.queues,
            concurrency: options.concurrency, logger: logger)
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

/// An invalid `worker` option, or a part the worker needs that this build lacks.
struct WorkerError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
