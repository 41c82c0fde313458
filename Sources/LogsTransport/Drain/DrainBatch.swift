import LogsCore

/// The parts a consumer keeps until they are stored, and the highest delivery tag among them.
///
/// Deliveries are added in tag order, so one multiple acknowledgement of `highestDeliveryTag`
/// covers every message of the batch.
struct DrainBatch {
    struct Entry {
        var part: RawLogPart
        var deliveryTag: UInt64
    }

    private(set) var parts: [Entry] = []
    private(set) var highestDeliveryTag: UInt64 = 0
    /// When the first part arrived, which sets the time the batch is due.
    private(set) var startedAt: ContinuousClock.Instant?

    var isEmpty: Bool { parts.isEmpty }
    var count: Int { parts.count }

    mutating func append(_ entry: Entry, at now: ContinuousClock.Instant) {
        if parts.isEmpty { startedAt = now }
        parts.append(entry)
        highestDeliveryTag = max(highestDeliveryTag, entry.deliveryTag)
    }

    /// Whether the batch has waited `interval` since its first part.
    func isDue(after interval: Duration, now: ContinuousClock.Instant) -> Bool {
        guard let startedAt else { return false }
        return now - startedAt >= interval
    }

    /// Returns how long the consumer may wait for more deliveries before the batch is due.
    func remainingTime(of interval: Duration, now: ContinuousClock.Instant) -> Duration? {
        guard let startedAt else { return nil }
        return max(.zero, interval - (now - startedAt))
    }

    mutating func removeAll() {
        parts.removeAll(keepingCapacity: true)
        highestDeliveryTag = 0
        startedAt = nil
    }
}
