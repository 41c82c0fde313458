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
    private let logger: Logger

    public init(
        endpoint: AMQPEndpoint, queue: any JobQueue, settings: DrainSettings, clock: any LogsClock = SystemClock(),
        logger: Logger, metrics: MetricsRegistry
    ) {
        self.settings = settings
        self.logger = logger
        consumers = (1...max(1, settings.consumerCount)).map { number in
            DrainConsumer(
                number: number, endpoint: endpoint, queue: queue, settings: settings, clock: clock, logger: logger,
                metrics: metrics)
        }
    }

    /// Runs the consumers until `stop()`.
    public func run() async {
        logger.info(
            "drain started",
            metadata: [
                "queue": "\(settings.queueName)", "consumers": "\(consumers.count)",
                "batch_size": "\(settings.batchSize)",
            ])
        await withTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                group.addTask { await consumer.run() }
            }
        }
        logger.info("drain stopped", metadata: ["queue": "\(settings.queueName)"])
    }

    /// Asks every consumer to store and acknowledge its batch and close; `run()` returns once all
    /// have.
    public func stop() {
        for consumer in consumers {
            consumer.stop()
        }
    }
}
