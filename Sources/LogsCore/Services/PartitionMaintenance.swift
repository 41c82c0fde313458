import Foundation

/// Creates and drops `log_parts` partitions behind the maintenance switch: the `maintenance` step.
///
/// Dropping a partition locks the whole table, so the switch goes on first, workers and web back
/// off, and after `initialSleep` (for work in flight to finish) the maintenance runs. The switch
/// goes off afterwards even when maintenance fails, and expires by itself if this process dies.
/// Only after a successful run and with the switch off does the store update the statistics of
/// `log_parts`, which takes a while on a large table but blocks neither reads nor writes.
public struct PartitionMaintenance: Sendable {
    private let store: any PartStore
    private let maintenance: any MaintenanceSwitch
    private let clock: any LogsClock
    private let expiry: Duration
    private let initialSleep: Duration
    private let logger: Logger

    public init(
        store: any PartStore, maintenance: any MaintenanceSwitch, clock: any LogsClock, expiry: Duration,
        initialSleep: Duration, logger: Logger
    ) {
        self.store = store
        self.maintenance = maintenance
        self.clock = clock
        self.expiry = expiry
        self.initialSleep = initialSleep
        self.logger = logger
    }

    public func run() async throws {
        try await maintenance.enable(for: expiry)
        logger.info("maintenance switch on", metadata: ["expiry_seconds": "\(expiry.timeInterval)"])
        do {
            try await clock.sleep(for: initialSleep)
            try await store.runPartitionMaintenance()
        } catch {
            try? await maintenance.disable()
            logger.error("partition maintenance failed", metadata: ["error": "\(error)"])
            throw error
        }
        try await maintenance.disable()
        logger.info("maintenance switch off")
        do {
            try await store.analyzeLogParts()
        } catch {
            logger.error("updating log_parts statistics failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
