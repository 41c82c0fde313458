import Synchronization

/// A Prometheus gauge: a value that goes up and down, such as the number of jobs in progress.
public final class Gauge: Sendable {
    private let current = Mutex(0.0)

    init() {}

    /// The current value.
    public var value: Double {
        current.withLock { $0 }
    }

    public func set(_ value: Double) {
        current.withLock { $0 = value }
    }

    public func increment(by amount: Double = 1) {
        current.withLock { $0 += amount }
    }

    public func decrement(by amount: Double = 1) {
        current.withLock { $0 -= amount }
    }
}
