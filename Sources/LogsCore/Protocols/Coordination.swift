import Foundation

/// Whether anybody watches a Pusher channel, as learned from Pusher's existence webhook.
///
/// The original keeps this in Redis as `logs:channel-occupied:<channel>` with a 6 hour expiry.
public protocol ChannelPresence: Sendable {
    func markOccupied(_ channel: String) async throws
    func markVacant(_ channel: String) async throws
    func isOccupied(_ channel: String) async throws -> Bool

    /// Returns the occupied channels among `channels`.
    ///
    /// The default implementation calls `isOccupied(_:)` once per channel. A presence kept
    /// elsewhere should read them all in one round trip.
    func occupiedChannels(among channels: [String]) async throws -> Set<String>
}

extension ChannelPresence {
    public func occupiedChannels(among channels: [String]) async throws -> Set<String> {
        var occupied: Set<String> = []
        for channel in channels where try await isOccupied(channel) {
            occupied.insert(channel)
        }
        return occupied
    }
}

/// The jobs that a client watches on the live stream endpoint of some `web` process, so that the
/// forwarders publish only those jobs' parts on the live channel.
///
/// A mark lasts `LiveStreamAudienceDefaults.markLifetime`, and the process serving the stream
/// renews it while the client stays, so a process that dies leaves no mark for long. A forwarder
/// may learn of a new mark up to a second late (see `CachedLiveStreamAudience`), so a stream reads
/// the store for the parts published meanwhile.
public protocol LiveStreamAudience: Sendable {
    /// Marks the jobs as watched for `LiveStreamAudienceDefaults.markLifetime`.
    func markWatched(_ jobIDs: [JobID]) async throws

    /// Returns the jobs among `jobIDs` that a client watches.
    func watchedJobs(among jobIDs: [JobID]) async throws -> Set<JobID>
}

public enum LiveStreamAudienceDefaults {
    /// How long a mark lasts unless it is renewed.
    public static let markLifetime: Duration = .seconds(60)
    /// How often a process serving streams renews the marks of its clients' jobs.
    public static let renewalInterval: Duration = .seconds(20)
}

public enum ChannelPresenceDefaults {
    /// How long a channel counts as occupied after the last `channel_occupied` webhook.
    public static let expiry: Duration = .seconds(6 * 60 * 60)
}

/// The switch that pauses work on `log_parts` while partitions are maintained.
///
/// The original keeps it in Redis as `travis-logs:maintenance` = `on` with an expiry.
public protocol MaintenanceSwitch: Sendable {
    /// Returns the time left before the switch turns itself off, or nil when it is off.
    func remainingTime() async throws -> Duration?

    func enable(for duration: Duration) async throws

    func disable() async throws

    /// Returns the switch's state when it is at hand without waiting, such as a recent reading
    /// kept in memory, or nil when reading it needs I/O.
    ///
    /// Callers on threads that must not wait, such as an HTTP server's event loop, use this and
    /// fall back to `remainingTime()` when it returns nil. The default implementation returns nil.
    func stateWithoutWaiting() -> MaintenanceState?
}

/// The maintenance switch's state at one reading.
public enum MaintenanceState: Sendable, Hashable {
    case off
    /// On, turning itself off after `remaining`.
    case on(remaining: Duration)
}

extension MaintenanceSwitch {
    public func stateWithoutWaiting() -> MaintenanceState? { nil }

    public func isEnabled() async throws -> Bool {
        try await remainingTime() != nil
    }

    /// Throws when maintenance is on.
    ///
    /// - Throws: `LogsError` with code `.underMaintenance` and the remaining time as `retryAfter`.
    public func checkAvailable() async throws {
        if let remaining = try await remainingTime() {
            throw LogsError(
                .underMaintenance, "log parts are under maintenance; retry later", retryAfter: remaining)
        }
    }
}

/// A held lock: its key and the token that proves ownership.
public struct LockLease: Sendable, Hashable {
    public var key: String
    public var token: String

    public init(key: String, token: String) {
        self.key = key
        self.token = token
    }
}

/// A lock shared by every process, with an expiry so a dead holder cannot keep it.
public protocol DistributedLock: Sendable {
    /// Takes the lock unless another owner has it.
    ///
    /// - Returns: the lease, or nil when the lock is held.
    func acquire(_ key: String, ttl: Duration) async throws -> LockLease?

    /// Releases the lock if `lease` still owns it.
    ///
    /// - Returns: whether it was released; false when it had expired and another owner took it.
    @discardableResult
    func release(_ lease: LockLease) async throws -> Bool
}

extension DistributedLock {
    /// Runs `body` while holding the lock.
    ///
    /// - Returns: the body's result, or nil when the lock was held by another owner.
    public func withLock<T: Sendable>(
        _ key: String, ttl: Duration, _ body: @Sendable () async throws -> T
    ) async throws -> T? {
        guard let lease = try await acquire(key, ttl: ttl) else { return nil }
        do {
            let result = try await body()
            try await release(lease)
            return result
        } catch {
            _ = try? await release(lease)
            throw error
        }
    }
}

/// A cache from job id to log id, which never changes once a log exists.
public protocol LogIDCache: Sendable {
    func logID(forJobID jobID: JobID) async -> LogID?
    func store(_ logID: LogID, forJobID jobID: JobID) async

    /// Returns the cached log ids of several jobs, leaving out the jobs that have none cached.
    ///
    /// The default implementation calls `logID(forJobID:)` once per job. An actor should look them
    /// all up in one call, because each call from outside it is a switch of executors.
    func logIDs(forJobIDs jobIDs: [JobID]) async -> [JobID: LogID]

    /// Stores several log ids, as `store(_:forJobID:)` does for each.
    func store(_ logIDs: [JobID: LogID]) async
}

extension LogIDCache {
    public func logIDs(forJobIDs jobIDs: [JobID]) async -> [JobID: LogID] {
        var found: [JobID: LogID] = [:]
        for jobID in jobIDs {
            if let logID = await logID(forJobID: jobID) { found[jobID] = logID }
        }
        return found
    }

    public func store(_ logIDs: [JobID: LogID]) async {
        for (jobID, logID) in logIDs {
            await store(logID, forJobID: jobID)
        }
    }
}

/// The ids whose logs must not be served for now (the Redis sets `logs:ignored-job-ids` and
/// `logs:ignored-log-ids` in the original).
public protocol IgnoredIDs: Sendable {
    func isIgnored(jobID: JobID) async throws -> Bool
    func isIgnored(logID: LogID) async throws -> Bool

    /// Returns whether the job id is ignored when that is at hand without waiting, such as a
    /// recent result kept in memory, or nil when it needs I/O. The default implementation
    /// returns nil.
    func isIgnoredWithoutWaiting(jobID: JobID) -> Bool?

    /// Returns whether the log id is ignored, as `isIgnoredWithoutWaiting(jobID:)` does.
    func isIgnoredWithoutWaiting(logID: LogID) -> Bool?
}

extension IgnoredIDs {
    public func isIgnoredWithoutWaiting(jobID: JobID) -> Bool? { nil }

    public func isIgnoredWithoutWaiting(logID: LogID) -> Bool? { nil }
}
