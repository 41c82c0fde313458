import LogsCore

/// Publishes live part events on a Redis pub/sub channel. Every `web` process that subscribes
/// streams them to its clients. `RedisLiveChannel` describes the message format.
///
/// A batch of events is one pipeline of `PUBLISH` commands, so one round trip. Redis delivers a
/// message only to the subscribers connected when it is published: a `web` process that is
/// reconnecting misses it and reads the part from the store instead.
public struct RedisLiveBroadcaster: Broadcaster {
    private let pool: RedisConnectionPool
    private let channel: String

    public init(pool: RedisConnectionPool, channel: String = RedisLiveChannel.defaultName) {
        self.pool = pool
        self.channel = channel
    }

    /// Publishes the events in order.
    ///
    /// - Throws: `RedisError` when the connection fails or Redis returns an error reply.
    public func broadcast(_ events: [LogPartEvent]) async throws {
        guard !events.isEmpty else { return }
        let commands = events.map { RedisCommand("PUBLISH", channel, RedisLiveChannel.message(for: $0)) }
        let replies = try await pool.pipeline(commands)
        for reply in replies {
            _ = try RedisConnection.checked(reply, command: "PUBLISH")
        }
    }
}
