import LogsCore

/// `IgnoredIDs` in Redis: the original's sets `logs:ignored-job-ids` and `logs:ignored-log-ids`,
/// whose members are decimal ids that operators add with `SADD`.
public struct RedisIgnoredIDs: IgnoredIDs {
    public static let jobIDsKey = "logs:ignored-job-ids"
    public static let logIDsKey = "logs:ignored-log-ids"

    public let pool: RedisConnectionPool

    public init(pool: RedisConnectionPool) {
        self.pool = pool
    }

    public func isIgnored(jobID: JobID) async throws -> Bool {
        try await pool.send("SISMEMBER", Self.jobIDsKey, String(jobID.rawValue)) == .integer(1)
    }

    public func isIgnored(logID: LogID) async throws -> Bool {
        try await pool.send("SISMEMBER", Self.logIDsKey, String(logID.rawValue)) == .integer(1)
    }
}
