import Foundation
import LogsCore

/// `DistributedLock` in Redis: `SET key token NX PX ttl` to acquire, and a script that deletes
/// the key only while it still holds the caller's token, so an expired lease never releases the
/// next owner's lock.
public struct RedisLock: DistributedLock {
    static let releaseScript = RedisScript(
        name: "release_lock",
        source: """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """)

    public let pool: RedisConnectionPool

    public init(pool: RedisConnectionPool) {
        self.pool = pool
    }

    public func acquire(_ key: String, ttl: Duration) async throws -> LockLease? {
        let token = UUID().uuidString
        let reply = try await pool.send("SET", key, token, "NX", "PX", RedisJobQueue.milliseconds(ttl))
        return reply.isNull ? nil : LockLease(key: key, token: token)
    }

    @discardableResult
    public func release(_ lease: LockLease) async throws -> Bool {
        try await pool.evaluate(Self.releaseScript, keys: [lease.key], arguments: [lease.token]) == .integer(1)
    }
}
