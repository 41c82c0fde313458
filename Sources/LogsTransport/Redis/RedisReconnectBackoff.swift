import LogsCore
import Synchronization

/// Reconnect timing shared by the connections of one pool.
///
/// While Redis is unreachable, each connection waits until the shared next-attempt time before it
/// tries again, and the delay doubles from `initialDelay` up to `maximumDelay` with each failed
/// round. A round is logged once for the whole pool, not once per connection, and the first
/// success after an outage is logged once too.
final class RedisReconnectBackoff: Sendable {
    private struct State {
        var failures = 0
        var nextAttempt: ContinuousClock.Instant?
    }

    let initialDelay: Duration
    let maximumDelay: Duration
    private let state = Mutex(State())

    init(initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5)) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// How long a connection must wait before its next attempt; zero when it may try now.
    func delayBeforeAttempt() -> Duration {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let next = state.nextAttempt, next > now else { return .zero }
            return now.duration(to: next)
        }
    }

    /// Records a failed attempt, and logs it when it starts a new round of attempts.
    func recordFailure(_ error: RedisError, endpoint: RedisEndpoint, logger: Logger) {
        let now = ContinuousClock.now
        let round = state.withLock { state -> (attempt: Int, delay: Duration)? in
            if let next = state.nextAttempt, next > now { return nil }
            state.failures += 1
            let delay = min(maximumDelay, initialDelay * (1 << min(state.failures - 1, 20)))
            state.nextAttempt = now + delay
            return (state.failures, delay)
        }
        guard let round else { return }
        logger.warning(
            "connecting to Redis failed, retrying",
            metadata: [
                "endpoint": "\(endpoint)", "error": "\(error)", "attempt": "\(round.attempt)",
                "retry_in_seconds": "\(round.delay.timeInterval)",
            ])
    }

    /// Records a successful connection, logging the end of an outage once.
    func recordSuccess(endpoint: RedisEndpoint, logger: Logger) {
        let failures = state.withLock { state -> Int in
            let failures = state.failures
            state.failures = 0
            state.nextAttempt = nil
            return failures
        }
        if failures > 0 {
            logger.notice(
                "reconnected to Redis", metadata: ["endpoint": "\(endpoint)", "failed_attempts": "\(failures)"])
        }
    }
}
