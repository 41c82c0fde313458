import Foundation

/// Finds logs whose aggregation was missed and queues them: the aggregate sweeper.
///
/// A log qualifies when it has a final part older than `intervals.sweeper`, or any part older
/// than `intervals.force`. Sweeps run under a distributed lock, so many sweeper processes do the
/// work of one.
public struct Sweeper: Sendable {
    public struct Settings: Sendable {
        public var interval: Duration
        public var finalPartAge: Duration
        public var anyPartAge: Duration
        public var limit: Int
        public var lockTTL: Duration

        public init(interval: Duration, finalPartAge: Duration, anyPartAge: Duration, limit: Int, lockTTL: Duration) {
            self.interval = interval
            self.finalPartAge = finalPartAge
            self.anyPartAge = anyPartAge
            self.limit = limit
            self.lockTTL = lockTTL
        }
    }

    public static let lockKey = "travis-logs:aggregate-sweeper"

    private let store: any PartStore
    private let queue: any JobQueue
    private let lock: any DistributedLock
    private let maintenance: any MaintenanceSwitch
    private let clock: any LogsClock
    private let settings: Settings
    private let logger: Logger

    public init(
        store: any PartStore, queue: any JobQueue, lock: any DistributedLock, maintenance: any MaintenanceSwitch,
        clock: any LogsClock, settings: Settings, logger: Logger
    ) {
        self.store = store
        self.queue = queue
        self.lock = lock
        self.maintenance = maintenance
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// Runs one sweep.
    ///
    /// - Returns: the ids queued for aggregation, or nil when another process holds the lock or
    ///   maintenance is on.
    @discardableResult
    public func sweep() async throws -> [LogID]? {
        guard try await !maintenance.isEnabled() else {
            logger.debug("sweep skipped: maintenance is on")
            return nil
        }
        return try await lock.withLock(Self.lockKey, ttl: settings.lockTTL) {
            let now = clock.now()
            let ids = try await store.aggregatableLogIDs(
                finalBefore: now.addingTimeInterval(-settings.finalPartAge.timeInterval),
                anyBefore: now.addingTimeInterval(-settings.anyPartAge.timeInterval), limit: settings.limit)
            if !ids.isEmpty {
                try await queue.push(ids.map { JobPayload.aggregate($0).makeJob(at: now) })
                logger.info("queued missed aggregations", metadata: ["count": "\(ids.count)"])
            }
            return ids
        }
    }

    /// Sweeps every `interval` until the task is cancelled, logging and surviving failures.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.error("sweep failed", metadata: ["error": "\(error)"])
            }
            do {
                try await clock.sleep(for: settings.interval)
            } catch {
                return
            }
        }
    }
}
