import LogsCore

/// Settings of the drain: the queue it consumes, its batching, and the dead queue for rejected
/// messages.
///
/// The defaults are the names that workers publish to and the original service consumes.
public struct DrainSettings: Sendable, Equatable {
    /// The queue consumed; `reporting.jobs.logs_sharded` in sharded mode.
    public var queueName = "reporting.jobs.logs"
    /// The exchange that workers publish log parts to, bound to `queueName` with `routingKey`.
    public var exchangeName = "reporting"
    public var exchangeType = "topic"
    public var routingKey = "reporting.jobs.logs"
    /// The durable queue that keeps messages the drain cannot decode, unchanged, for an operator.
    public var deadQueueName = "reporting.jobs.logs.dead"
    /// Whether the queue is the sharding plugin's, which the drain consumes without declaring.
    public var isSharded = false
    public var batchSize = 100
    /// How long the first part of a batch may wait before the batch is stored although it is not full.
    public var batchInterval: Duration = .seconds(3)
    /// How long a consumer waits for another message before it stores a batch that is not full.
    /// With `nil`, it waits for `batchInterval`. When the queue runs dry, the last parts are stored
    /// after this short wait instead of the whole interval. While messages keep coming, batches fill.
    public var batchIdleTime: Duration? = .milliseconds(100)
    /// How long a consumer collects parts for one `logs.pusher_forwarding` job, from the first part
    /// it holds, while messages keep coming. A job is pushed sooner when it has `batchSize` parts,
    /// goes out with a batch, or no message came for `forwardingQuietGap`. Zero pushes one job per
    /// read from the socket.
    public var forwardingWait: Duration = .milliseconds(10)
    /// How long a consumer holding parts to forward waits for another message before it pushes
    /// them, so a part that comes alone is forwarded this much later at most.
    public var forwardingQuietGap: Duration = .milliseconds(2)
    public var consumerCount = 10
    public var prefetch = 200
    /// How long a consumer may acknowledge nothing while messages wait before it is replaced.
    public var ackTimeout: Duration = .seconds(300)
    /// The first wait before a consumer reconnects or retries a failed queue push; it doubles with
    /// each failure up to `maximumRetryDelay`.
    public var initialRetryDelay: Duration = .milliseconds(200)
    public var maximumRetryDelay: Duration = .seconds(5)
    /// How long a consumer waits on the socket at most before it checks for a stop or a due batch.
    public var pollInterval: Duration = .milliseconds(250)
    /// How often a consumer checks whether it acknowledged anything within `ackTimeout`. The
    /// original service checks its consumers this often (`TRAVIS_LOGS_DRAIN_LOOP_SLEEP_INTERVAL`).
    public var healthCheckInterval: Duration = .seconds(10)
    /// How long storing a batch may take before the drain logs it as slow
    /// (`TRAVIS_LOGS_DRAIN_TIMEOUT_INTERVAL`).
    public var slowFlushThreshold: Duration = .seconds(3)
    /// How long the broker may take to confirm the dead queue's copy of a rejected message.
    public var deadLetterConfirmTimeout: Duration = .seconds(10)
    /// The drain logs at most one rejected message per interval and counts the others.
    public var rejectionLogInterval: Duration = .seconds(10)

    public init() {}

    /// Reads the drain settings of `TRAVIS_LOGS_DRAIN_*`.
    public init(configuration: LogsConfiguration) {
        self.init()
        let logs = configuration.logs
        batchSize = logs.drainBatchSize
        batchInterval = logs.drainExecutionInterval
        batchIdleTime = logs.drainBatchIdleTime > .zero ? logs.drainBatchIdleTime : nil
        forwardingWait = logs.drainForwardingWait
        consumerCount = logs.drainConsumerCount
        prefetch = logs.drainPrefetch
        ackTimeout = logs.drainAckTimeout
        healthCheckInterval = logs.drainLoopSleepInterval
        slowFlushThreshold = logs.drainTimeoutInterval
        if logs.drainRabbitMQSharding {
            isSharded = true
            queueName = "reporting.jobs.logs_sharded"
        }
    }
}
