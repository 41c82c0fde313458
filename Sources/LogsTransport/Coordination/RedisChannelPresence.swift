import LogsCore

/// `ChannelPresence` in Redis, with the original's keys: `logs:channel-occupied:<channel>` set to
/// `1` with an expiry of 6 hours by default, so Ruby and Swift processes share what they learn.
public struct RedisChannelPresence: ChannelPresence {
    public let pool: RedisConnectionPool
    public let expiry: Duration

    public init(pool: RedisConnectionPool, expiry: Duration = ChannelPresenceDefaults.expiry) {
        self.pool = pool
        self.expiry = expiry
    }

    public static func key(_ channel: String) -> String {
        "logs:channel-occupied:" + channel
    }

    public func markOccupied(_ channel: String) async throws {
        _ = try await pool.send("SET", Self.key(channel), "1", "PX", RedisJobQueue.milliseconds(expiry))
    }

    public func markVacant(_ channel: String) async throws {
        _ = try await pool.send("DEL", Self.key(channel))
    }

    public func isOccupied(_ channel: String) async throws -> Bool {
        try await pool.send("EXISTS", Self.key(channel)) == .integer(1)
    }

    /// Reads every channel's key with one `MGET`.
    public func occupiedChannels(among channels: [String]) async throws -> Set<String> {
        try await RedisFlags.presentKeys(among: channels, key: Self.key, pool: pool)
    }
}
