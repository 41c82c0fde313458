import LogsCore

/// `LiveStreamAudience` in Redis: `<channel>:watched:<job id>` set to `1` with the mark's
/// lifetime as expiry, where `<channel>` is the live channel's name, so that two deployments that
/// share a Redis server with different channels keep apart.
public struct RedisLiveStreamAudience: LiveStreamAudience {
    public let pool: RedisConnectionPool
    public let channel: String
    public let lifetime: Duration

    public init(
        pool: RedisConnectionPool, channel: String = RedisLiveChannel.defaultName,
        lifetime: Duration = LiveStreamAudienceDefaults.markLifetime
    ) {
        self.pool = pool
        self.channel = channel
        self.lifetime = lifetime
    }

    public func key(_ jobID: JobID) -> String {
        channel + ":watched:" + String(jobID.rawValue)
    }

    /// Sets every job's key in one pipeline.
    public func markWatched(_ jobIDs: [JobID]) async throws {
        guard !jobIDs.isEmpty else { return }
        let expiry = RedisJobQueue.milliseconds(lifetime)
        let replies = try await pool.pipeline(jobIDs.map { RedisCommand("SET", key($0), "1", "PX", expiry) })
        for reply in replies { _ = try RedisConnection.checked(reply, command: "SET") }
    }

    /// Reads every job's key with one `MGET`.
    public func watchedJobs(among jobIDs: [JobID]) async throws -> Set<JobID> {
        try await RedisFlags.presentKeys(among: jobIDs, key: key, pool: pool)
    }
}

/// A `LiveStreamAudience` that keeps each job's result from the audience it wraps for `maximumAge`,
/// so that a forwarder reads a job's key at most that often.
///
/// A job marked by a `web` process takes effect here up to `maximumAge` later: a stream reads the
/// store for the parts published meanwhile. At most `capacity` results are kept, and all are
/// dropped when that is reached. Errors are not kept.
public final class CachedLiveStreamAudience: LiveStreamAudience {
    private let wrapped: any LiveStreamAudience
    private let watched: ExpiringFlags<JobID>

    public init(_ wrapped: any LiveStreamAudience, maximumAge: Duration = .seconds(1), capacity: Int = 10_000) {
        self.wrapped = wrapped
        watched = ExpiringFlags(maximumAge: maximumAge, capacity: capacity)
    }

    /// Marks the jobs and keeps them as watched.
    public func markWatched(_ jobIDs: [JobID]) async throws {
        try await wrapped.markWatched(jobIDs)
        for jobID in jobIDs { watched.store(true, for: jobID) }
    }

    public func watchedJobs(among jobIDs: [JobID]) async throws -> Set<JobID> {
        try await watched.trueKeys(among: jobIDs) { try await wrapped.watchedJobs(among: $0) }
    }
}

/// Reads of keys that stand for a yes when they exist.
enum RedisFlags {
    /// Returns the elements whose key has a value, read with one `MGET`.
    ///
    /// - Throws: `RedisError` when the connection fails or the reply is not one value per key.
    static func presentKeys<Element: Hashable>(
        among elements: [Element], key: (Element) -> String, pool: RedisConnectionPool
    ) async throws -> Set<Element> {
        guard !elements.isEmpty else { return [] }
        let reply = try RedisConnection.checked(try await pool.send(["MGET"] + elements.map(key)), command: "MGET")
        guard case .array(let values) = reply, values.count == elements.count else {
            throw RedisError(
                .unexpectedReply, "MGET of \(elements.count) keys did not return one value per key", command: "MGET")
        }
        var present: Set<Element> = []
        for (element, value) in zip(elements, values) where value != .null {
            present.insert(element)
        }
        return present
    }
}
