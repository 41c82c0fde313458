import Foundation
import LogsCore

/// The drain: consumers that move log parts from RabbitMQ into the job queue.
///
/// `run()` starts `consumerCount` consumers, each with its own connection, and returns once all of
/// them have stopped after `stop()`. Each consumer stores its current batch and acknowledges it
/// before it closes, and unacknowledged messages go back to the queue when a connection closes, so
/// stopping loses nothing.
public final class LogDrain: Sendable {
    private let consumers: [DrainConsumer]
    private let settings: DrainSettings
    private let shardingPolicy: ShardingPolicy?
    private let logger: Logger
    private let rejectionLog: RejectionLog

    public init(
        endpoint: AMQPEndpoint, queue: any JobQueue, settings: DrainSettings, clock: any LogsClock = SystemClock(),
        shardingPolicy: ShardingPolicy? = nil, forwardingFilter: DrainForwardingFilter? = nil, logger: Logger,
        metrics: MetricsRegistry
    ) {
        self.settings = settings
        self.shardingPolicy = shardingPolicy
        self.logger = logger
        let rejectionLog = RejectionLog(interval: settings.rejectionLogInterval, logger: logger)
        self.rejectionLog = rejectionLog
        consumers = (1...max(1, settings.consumerCount)).map { number in
            DrainConsumer(
                number: number, endpoint: endpoint, queue: queue, settings: settings, clock: clock, logger: logger,
                metrics: metrics, rejectionLog: rejectionLog, forwardingFilter: forwardingFilter)
        }
    }

    /// Sets the sharding policy when one is given, then runs the consumers until `stop()`.
    ///
    /// A failure to set the policy is logged and the consumers start anyway, because a policy
    /// set earlier keeps working.
    public func run() async {
        await ensureShardingPolicy()
        logger.info(
            "drain started",
            metadata: [
                "queue": "\(settings.queueName)", "consumers": "\(consumers.count)",
                "batch_size": "\(settings.batchSize)",
            ])
        if settings.batchSize > settings.prefetch {
            // A consumer has at most `prefetch` unacknowledged messages, so a larger batch never fills.
            logger.warning(
                """
                drain batch size exceeds the prefetch count, so batches never fill and are stored only after \
                their idle time or interval; set TRAVIS_LOGS_DRAIN_PREFETCH to at least TRAVIS_LOGS_DRAIN_BATCH_SIZE
                """,
                metadata: [
                    "batch_size": "\(settings.batchSize)", "prefetch": "\(settings.prefetch)",
                    "batch_interval_seconds": "\(settings.batchInterval.timeInterval)",
                    "batch_idle_seconds": "\(settings.batchIdleTime?.timeInterval ?? 0)",
                ])
        }
        await withTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                group.addTask { await consumer.run() }
                if settings.isSharded {
                    // The plugin gives a new consumer the shard with the fewest consumers; starting
                    // them apart lets each see the consumers before it.
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        rejectionLog.flush()
        logger.info("drain stopped", metadata: ["queue": "\(settings.queueName)"])
    }

    private func ensureShardingPolicy() async {
        guard let shardingPolicy else { return }
        do {
            try await shardingPolicy.ensure()
            logger.info("sharding policy set", metadata: ["policy": "\(shardingPolicy.name)"])
        } catch {
            logger.error(
                "setting the sharding policy failed",
                metadata: ["policy": "\(shardingPolicy.name)", "error": "\(error)"])
        }
    }

    /// Asks every consumer to store and acknowledge its batch and close; `run()` returns once all
    /// have.
    public func stop() {
        for consumer in consumers {
            consumer.stop()
        }
    }
}
