import LogsCore

/// The parts a consumer keeps until they are stored, written as JSON, and the highest delivery tag
/// among them.
///
/// Deliveries are added in tag order, so one multiple acknowledgement of `highestDeliveryTag`
/// covers every message of the batch.
struct DrainBatch {
    private(set) var parts = PartListJSON()
    private(set) var highestDeliveryTag: UInt64 = 0
    /// When the first part arrived, which sets the time the batch is due.
    private(set) var startedAt: ContinuousClock.Instant?
    /// When the last part arrived.
    private(set) var lastAppendedAt: ContinuousClock.Instant?

    var isEmpty: Bool { parts.isEmpty }
    var count: Int { parts.count }

    /// Appends the JSON of one part, found in `source` at `range`.
    mutating func append(
        from source: PartListJSON, at range: Range<Int>, deliveryTag: UInt64, at now: ContinuousClock.Instant
    ) {
        if parts.isEmpty { startedAt = now }
        parts.append(from: source, at: range)
        lastAppendedAt = now
        highestDeliveryTag = max(highestDeliveryTag, deliveryTag)
    }

    /// Whether the batch has waited `interval` since its first part.
    func isDue(after interval: Duration, now: ContinuousClock.Instant) -> Bool {
        guard let startedAt else { return false }
        return now - startedAt >= interval
    }

    /// Returns whether no part arrived for `idleTime`. With no idle time, a batch is never idle.
    func isIdle(for idleTime: Duration?, now: ContinuousClock.Instant) -> Bool {
        guard let idleTime, let lastAppendedAt else { return false }
        return now - lastAppendedAt >= idleTime
    }

    /// Returns how long the consumer may wait for more deliveries before the batch is due, by its
    /// interval or, with `idleTime`, by the time since its last part.
    func remainingTime(
        of interval: Duration, idleTime: Duration? = nil, now: ContinuousClock.Instant
    ) -> Duration? {
        guard let startedAt, let lastAppendedAt else { return nil }
        let untilDue = interval - (now - startedAt)
        guard let idleTime else { return max(.zero, untilDue) }
        return max(.zero, min(untilDue, idleTime - (now - lastAppendedAt)))
    }

    mutating func removeAll() {
        parts.removeAll()
        highestDeliveryTag = 0
        startedAt = nil
        lastAppendedAt = nil
    }
}
