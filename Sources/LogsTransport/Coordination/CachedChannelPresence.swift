import LogsCore

/// A `ChannelPresence` that keeps the result of the presence it wraps for each channel for
/// `maximumAge`. So a worker that forwards many parts of a log does not make one Redis round trip
/// per part to read whether the log's channel is watched.
///
/// A channel marked occupied or vacant by another process, such as `web` on Pusher's webhook,
/// takes effect here up to `maximumAge` later. So a browser that just subscribed can miss up to
/// that much of the live events, which it then reads with the log. `markOccupied` and
/// `markVacant` go to the wrapped presence and update the cached value. At most `capacity`
/// channels are kept, and all are dropped when that is reached. Errors are not cached.
public final class CachedChannelPresence: ChannelPresence {
    private let wrapped: any ChannelPresence
    private let occupancy: ExpiringFlags<String>

    public init(_ wrapped: any ChannelPresence, maximumAge: Duration = .seconds(1), capacity: Int = 10_000) {
        self.wrapped = wrapped
        occupancy = ExpiringFlags(maximumAge: maximumAge, capacity: capacity)
    }

    public func markOccupied(_ channel: String) async throws {
        try await wrapped.markOccupied(channel)
        occupancy.store(true, for: channel)
    }

    public func markVacant(_ channel: String) async throws {
        try await wrapped.markVacant(channel)
        occupancy.store(false, for: channel)
    }

    public func isOccupied(_ channel: String) async throws -> Bool {
        try await occupancy.value(for: channel) { try await wrapped.isOccupied(channel) }
    }

    public func occupiedChannels(among channels: [String]) async throws -> Set<String> {
        try await occupancy.trueKeys(among: channels) { try await wrapped.occupiedChannels(among: $0) }
    }
}
