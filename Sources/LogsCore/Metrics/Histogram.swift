import Synchronization

/// A Prometheus histogram: counts of observed values per bucket, with their sum and count.
public final class Histogram: Sendable {
    /// The state of a histogram at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// The bucket upper bounds, without `+Inf`.
        public var upperBounds: [Double]
        /// For each upper bound, the number of observations at or below it (cumulative, as Prometheus
        /// reports them).
        public var cumulativeCounts: [Int]
        public var sum: Double
        public var count: Int
    }

    private struct State {
        /// Observations per bucket, not cumulative; the last element counts those above every bound.
        var bucketCounts: [Int]
        var sum = 0.0
    }

    /// The bucket upper bounds, without `+Inf`.
    public let upperBounds: [Double]
    private let state: Mutex<State>

    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        self.state = Mutex(State(bucketCounts: Array(repeating: 0, count: upperBounds.count + 1)))
    }

    /// Records one value. A NaN value lands only in the `+Inf` bucket and makes the sum NaN.
    public func observe(_ value: Double) {
        let index = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
        state.withLock { state in
            state.bucketCounts[index] += 1
            state.sum += value
        }
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Reads buckets, sum and count together, so they agree with each other.
    public func snapshot() -> Snapshot {
        let state = state.withLock { $0 }
        var running = 0
        let cumulative = state.bucketCounts.dropLast().map { count in
            running += count
            return running
        }
        let total = state.bucketCounts.reduce(0, +)
        return Snapshot(upperBounds: upperBounds, cumulativeCounts: cumulative, sum: state.sum, count: total)
    }
}
