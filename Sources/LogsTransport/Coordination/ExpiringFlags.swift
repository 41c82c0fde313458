import Synchronization

/// Yes-or-no results read from Redis, each kept for `maximumAge`, shared by the caching
/// coordination seams.
///
/// At most `capacity` results are kept. When that many are kept and a new key comes, all are
/// dropped first, which is cheaper than tracking the oldest. Errors are never kept.
final class ExpiringFlags<Key: Hashable & Sendable>: Sendable {
    private struct Reading {
        var value: Bool
        var readAt: ContinuousClock.Instant
    }

    private let maximumAge: Duration
    private let capacity: Int
    private let readings = Mutex<[Key: Reading]>([:])

    init(maximumAge: Duration, capacity: Int) {
        self.maximumAge = maximumAge
        self.capacity = max(1, capacity)
    }

    /// Returns the kept result for `key` while it is younger than `maximumAge`, and otherwise calls
    /// `read` and keeps what it returns.
    func value(for key: Key, read: () async throws -> Bool) async throws -> Bool {
        let now = ContinuousClock.now
        if let kept = keptValue(for: key, now: now) { return kept }
        let value = try await read()
        store(value, for: key, at: now)
        return value
    }

    /// Returns the keys among `keys` whose result is true: kept results younger than `maximumAge`
    /// as they are, and the others from one call of `read`, which returns the true ones among the
    /// keys it is given. What `read` returns is kept for every key it was given.
    nonisolated(nonsending) func trueKeys(
        among keys: [Key], read: nonisolated(nonsending) ([Key]) async throws -> Set<Key>
    ) async throws -> Set<Key> {
        let now = ContinuousClock.now
        var found: Set<Key> = []
        var missing: [Key] = []
        readings.withLock { readings in
            for key in keys {
                if let reading = readings[key], now - reading.readAt < maximumAge {
                    if reading.value { found.insert(key) }
                } else {
                    missing.append(key)
                }
            }
        }
        guard !missing.isEmpty else { return found }
        let read = try await read(missing)
        readings.withLock { readings in
            if readings.count + missing.count > capacity { readings.removeAll(keepingCapacity: true) }
            for key in missing { readings[key] = Reading(value: read.contains(key), readAt: now) }
        }
        return found.union(read.intersection(missing))
    }

    /// Returns the kept result for `key` while it is younger than `maximumAge`, or nil.
    func keptValue(for key: Key, now: ContinuousClock.Instant = .now) -> Bool? {
        guard let reading = readings.withLock({ $0[key] }), now - reading.readAt < maximumAge else { return nil }
        return reading.value
    }

    /// Keeps `value` for `key` as read at `now`.
    func store(_ value: Bool, for key: Key, at now: ContinuousClock.Instant = .now) {
        readings.withLock { readings in
            if readings.count >= capacity && readings[key] == nil {
                readings.removeAll(keepingCapacity: true)
            }
            readings[key] = Reading(value: value, readAt: now)
        }
    }
}
