import Synchronization

/// Consecutive failures counted per key, such as a send target, so that each run of failures is
/// logged once instead of once per failure.
public final class FailureRuns: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    /// Counts a failure for `key` and returns true when it starts a run.
    public func recordFailure(_ key: String) -> Bool {
        counts.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key] == 1
        }
    }

    /// Ends the run for `key` and returns its number of failures, or nil when there was none.
    public func recordSuccess(_ key: String) -> Int? {
        counts.withLock { counts in
            counts.removeValue(forKey: key)
        }
    }
}
