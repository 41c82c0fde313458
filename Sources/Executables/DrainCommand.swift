import CommandLineSupport
import Dispatch
import Foundation
import LogsCore
import LogsHTTP
import LogsTransport

/// `travis-logs drain`: moves log parts from RabbitMQ into the Redis job queues.
///
/// SIGTERM and SIGINT stop consuming; each consumer stores and acknowledges its current batch,
/// closes its connection, and the process exits 0.
enum DrainCommand {
    /// Runs the drain until SIGTERM or SIGINT, then exits 0; exits 2 when it cannot start. The
    /// command line parser has already checked the options.
    static func main(_ options: ServiceOptions) {
        let environment = ProcessInfo.processInfo.environment
        let drain: LogDrain
        let metricsServer: HTTPServer?
        do {
            let metrics = MetricsRegistry()
            drain = try makeDrain(environment: environment, metrics: metrics)
            metricsServer = try ProcessSupport.startMetricsServer(
                port: options.metricsPort, metrics: metrics, environment: environment,
                logger: Logger(label: "travis-logs.drain"))
        } catch {
            CommandLineTool.fail("drain cannot start: \(error)")
        }
        let signals = WorkerCommand.trapStopSignals { drain.stop() }
        let done = DispatchSemaphore(value: 0)
        Task {
            await drain.run()
            await metricsServer?.shutdown()
            done.signal()
        }
        done.wait()
        withExtendedLifetime(signals) {}
        exit(0)
    }

    /// Builds the drain on RabbitMQ and the Redis job queue.
    ///
    /// - Throws: `ConfigurationError`, `AMQPError` with code `.invalidURL`, or `RedisError`.
    static func makeDrain(environment: [String: String], metrics: MetricsRegistry) throws -> LogDrain {
        let configuration = try LogsConfiguration(environment: environment)
        let logger = Logger(label: "travis-logs.drain")
        ProcessSupport.logStart(logger, process: "drain", configuration: configuration)
        let endpoint = try AMQPEndpoint(url: configuration.rabbitmqURL)
        let settings = DrainSettings(configuration: configuration)
        // Each consumer pushes from its own task, and the pool needs one connection per push in flight.
        let pool = try RedisConnectionPool(
            configuration: configuration, size: max(configuration.sidekiq.poolSize, settings.consumerCount + 1),
            logger: logger)
        let queue = RedisJobQueue(pool: pool, namespace: configuration.sidekiq.namespace, logger: logger)
        let usesPolicy = settings.isSharded && configuration.amqp.isManagementAPIConfigured
        // With the existence check on, the forwarding worker sends only the parts of jobs whose
        // Pusher channel is occupied or that a stream client watches, so the drain queues only those.
        // The consumers share one filter and its kept results. A consumer reads through it between
        // its own pushes, so the pool needs no connection beyond one per consumer.
        let forwardingFilter =
            configuration.channelsExistenceCheck
            ? DrainForwardingFilter(
                presence: RedisChannelPresence(pool: pool), audience: RedisLiveStreamAudience(pool: pool),
                usesPrivateChannels: configuration.pusher.secure, logger: logger)
            : nil
        return LogDrain(
            endpoint: endpoint, queue: queue, settings: settings,
            shardingPolicy: usesPolicy ? ShardingPolicy(settings: configuration.amqp) : nil,
            forwardingFilter: forwardingFilter, logger: logger, metrics: metrics)
    }
}
