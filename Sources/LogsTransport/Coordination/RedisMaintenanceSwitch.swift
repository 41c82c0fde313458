import LogsCore

/// `MaintenanceSwitch` in Redis, with the original's key `travis-logs:maintenance` = `on` and an
/// expiry, so a Ruby process that sets it pauses Swift workers too and the other way round.
public struct RedisMaintenanceSwitch: MaintenanceSwitch {
    public static let key = "travis-logs:maintenance"

    public let pool: RedisConnectionPool
    /// The time reported when the key is `on` without an expiry, which the original never sets.
    public let remainingTimeWithoutExpiry: Duration

    public init(pool: RedisConnectionPool, remainingTimeWithoutExpiry: Duration = .seconds(60)) {
        self.pool = pool
        self.remainingTimeWithoutExpiry = remainingTimeWithoutExpiry
    }

    /// Returns the key's remaining time when its value is `on`, as the original's check reads it.
    ///
    /// After an I/O error the read is sent once more, on a new connection. Both commands only
    /// read, so that is safe. The pool replaces connections that Redis closed while they were
    /// idle, so the error comes from one that Redis closes while the commands are on their way,
    /// during a restart or `CLIENT KILL`.
    public func remainingTime() async throws -> Duration? {
        let commands = [RedisCommand("GET", Self.key), RedisCommand("PTTL", Self.key)]
        let replies: [RedisReply]
        do {
            replies = try await pool.pipeline(commands)
        } catch let error as RedisError where error.code == .io {
            replies = try await pool.pipeline(commands)
        }
        try RedisJobQueue.checkAll(replies, of: commands)
        guard replies[0].stringValue == "on", let milliseconds = replies[1].integerValue else { return nil }
        switch milliseconds {
        case -1: return remainingTimeWithoutExpiry
        case ..<0: return nil
        default: return .milliseconds(milliseconds)
        }
    }

    public func enable(for duration: Duration) async throws {
        _ = try await pool.send("SET", Self.key, "on", "PX", RedisJobQueue.milliseconds(duration))
    }

    public func disable() async throws {
        _ = try await pool.send("DEL", Self.key)
    }
}
