import Foundation

/// Sidekiq's retry rules: which failed job is tried again, and when.
public struct SidekiqRetryPolicy: Sendable {
    /// Sidekiq's default for `retry: true`.
    public static let defaultMaximumRetries = 25

    public enum Decision: Sendable, Hashable {
        /// Try again at the given time; the job carries the updated retry bookkeeping.
        case retry(Job, at: Date)
        /// Retries are used up: keep the job in the dead set.
        case dead(Job)
        /// The job allows no retries and no dead set: drop it.
        case discard
    }

    private let jitter: @Sendable (Int) -> Int

    /// - Parameter jitter: returns a random whole number of seconds below `10 * (count + 1)`;
    ///   tests pass a fixed one.
    public init(jitter: @escaping @Sendable (Int) -> Int = { count in Int.random(in: 0..<10) * (count + 1) }) {
        self.jitter = jitter
    }

    /// Decides what happens to a job that failed with `message` at `now`.
    ///
    /// The first failure sets `retry_count` to 0 and each later one adds 1; the delay before
    /// retry number `count` is `count⁴ + 15 + jitter` seconds, as in Sidekiq 6.
    public func decide(for job: Job, errorClass: String, message: String, now: Date) -> Decision {
        var failed = job
        failed.errorClass = errorClass
        failed.errorMessage = message
        let count: Int
        if let previous = job.retryCount {
            count = previous + 1
            failed.retriedAt = now.timeIntervalSince1970
        } else {
            count = 0
            failed.failedAt = now.timeIntervalSince1970
        }
        failed.retryCount = count

        if count < job.maximumRetries {
            return .retry(failed, at: now.addingTimeInterval(delay(forRetry: count)))
        }
        if job.retry == .bool(false) || job.otherFields["dead"] == .bool(false) {
            return .discard
        }
        return .dead(failed)
    }

    /// Seconds to wait before retry number `count`.
    public func delay(forRetry count: Int) -> TimeInterval {
        TimeInterval(count * count * count * count + 15 + jitter(count))
    }
}
