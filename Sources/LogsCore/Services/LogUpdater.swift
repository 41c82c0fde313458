import Foundation

/// Replaces logs' content: `PUT /logs/:job_id` and `POST /logs/multi`.
///
/// The log is created when the job has none. Its parts are deleted, empty content is stored as
/// null, and a `removedBy` user id marks the log as removed.
public struct LogUpdater: Sendable {
    private let store: any PartStore
    private let cache: any LogIDCache
    private let clock: any LogsClock

    public init(store: any PartStore, cache: any LogIDCache, clock: any LogsClock) {
        self.store = store
        self.cache = cache
        self.clock = clock
    }

    /// Replaces one log's content.
    public func update(_ update: LogContentUpdate) async throws -> Log {
        try await updateAll([update])[0]
    }

    /// Replaces several logs' content in one transaction.
    public func updateAll(_ updates: [LogContentUpdate]) async throws -> [Log] {
        let logs = try await store.setContent(updates, at: clock.now())
        for log in logs {
            await cache.store(log.id, forJobID: log.jobID)
        }
        return logs
    }
}
