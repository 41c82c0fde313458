import Synchronization

/// A Prometheus counter: a count that only goes up, such as the number of log parts received.
public final class Counter: Sendable {
    private let count = Mutex(0)

    init() {}

    /// The current count.
    public var value: Int {
        count.withLock { $0 }
    }

    /// Adds `amount`, which must not be negative.
    public func increment(by amount: Int = 1) {
        precondition(amount >= 0, "a counter cannot decrease; use a gauge")
        count.withLock { $0 += amount }
    }
}
