import LogsCore
import Synchronization

/// A `ChannelPresence` that keeps the result of the presence it wraps for each channel for
/// `maximumAge`. So a worker that forwards many parts of a log does not make one Redis round trip
/// per part to read whether the log's channel is watched.
///
/// A channel marked occupied or vacant by another process, such as `web` on Pusher's webhook,
/// takes effect here up to `maximumAge` later, so a browser that just subscribed can miss up to
/// that much of the live events, which it reads with the log instead. `markOccupied` and
/// `markVacant` go to the wrapped presence and update the cached value. At most `capacity`
/// channels are kept, and all are dropped when that is reached. Errors are not cached.
public final class CachedChannelPresence: ChannelPresence {
    private struct Reading {
        var isOccupied: Bool
        var readAt: ContinuousClock.Instant
    }

    private let wrapped: any ChannelPresence
    private let maximumAge: Duration
    private let capacity: Int
    private let readings = Mutex<[String: Reading]>([:])

    public init(_ wrapped: any ChannelPresence, maximumAge: Duration = .seconds(1), capacity: Int = 10_000) {
        self.wrapped = wrapped
        self.maximumAge = maximumAge
        self.capacity = max(1, capacity)
    }

    public func markOccupied(_ channel: String) async throws {
        try await wrapped.markOccupied(channel)
        store(true, for: channel, at: .now)
    }

    public func markVacant(_ channel: String) async throws {
        try await wrapped.markVacant(channel)
        store(false, for: channel, at: .now)
    }

    public func isOccupied(_ channel: String) async throws -> Bool {
        let now = ContinuousClock.now
        if let reading = readings.withLock({ $0[channel] }), now - reading.readAt < maximumAge {
            return reading.isOccupied
        }
        let isOccupied = try await wrapped.isOccupied(channel)
        store(isOccupied, for: channel, at: now)
        return isOccupied
    }

    private func store(_ isOccupied: Bool, for channel: String, at now: ContinuousClock.Instant) {
        readings.withLock { readings in
            if readings.count >= capacity && readings[channel] == nil { readings.removeAll(keepingCapacity: true) }
            readings[channel] = Reading(isOccupied: isOccupied, readAt: now)
        }
    }
}
