import Synchronization

/// Acknowledges finished jobs in tasks of their own, so that a worker task takes its next job
/// without waiting for the round trip of the previous job's acknowledgement.
///
/// A failed acknowledgement is tried again, and a finished job is never sent to the retry set.
/// When Redis removed the job but the reply was lost, a retry would run the job a second time. A
/// `log_parts` job would then store its parts twice, possibly after the log was aggregated.
/// Acknowledging again is safe because removing a job that is no longer in progress changes
/// nothing.
///
/// At most `limit` acknowledgements are outstanding, and `acknowledge` waits for one of them to end
/// beyond that. A process killed with acknowledgements outstanding runs those jobs again after
/// recovery, as it would a job killed mid-run. On a clean shutdown, call `waitUntilIdle()` before
/// the queue hands back its in-progress jobs, or finished jobs would be queued and run again.
public final class BackgroundAcknowledger: Sendable {
    /// The attempts at acknowledging one job. The waits between them start at 200 ms and double up
    /// to 5 s, about 16 s in all, which outlasts a Redis restart.
    public static let attempts = 8

    private struct State {
        var outstanding = 0
        /// Callers of `acknowledge` waiting for an outstanding acknowledgement to end.
        var slotWaiters: [CheckedContinuation<Void, Never>] = []
        /// Callers of `waitUntilIdle` waiting for the last outstanding acknowledgement to end.
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let queue: any JobQueue
    /// The maximum number of outstanding acknowledgements.
    public let limit: Int
    private let logger: Logger
    private let state = Mutex(State())

    public init(queue: any JobQueue, limit: Int, logger: Logger) {
        self.queue = queue
        self.limit = max(1, limit)
        self.logger = logger
    }

    /// The number of acknowledgements started and not yet ended.
    public var outstandingCount: Int {
        state.withLock { $0.outstanding }
    }

    /// Starts acknowledging `job` in a task of its own and returns, after waiting for an
    /// outstanding acknowledgement to end when `limit` are outstanding. `completion` runs in that
    /// task after the acknowledgement succeeded or its last attempt failed.
    ///
    /// The task does not inherit the caller's cancellation, so a job that ran to the end is
    /// acknowledged even when its worker task is cancelled meanwhile.
    public func acknowledge(
        _ job: ReservedJob, metadata: Logger.Metadata, completion: @escaping @Sendable () -> Void = {}
    ) async {
        await acquireSlot()
        Task.detached {
            await self.acknowledgeNow(job, metadata: metadata)
            completion()
            self.releaseSlot()
        }
    }

    /// Acknowledges `job` in the calling task, trying again as `acknowledge` does, and returns
    /// when that succeeded or its last attempt failed.
    public func acknowledgeNow(_ job: ReservedJob, metadata: Logger.Metadata) async {
        var delay = Duration.milliseconds(200)
        for attempt in 1...Self.attempts {
            do {
                try await queue.acknowledge(job)
                return
            } catch {
                guard attempt < Self.attempts else {
                    logger.error(
                        "acknowledging a finished job failed; it stays in progress until recovered",
                        metadata: metadata.merging(["error": "\(error)", "attempts": "\(attempt)"]) { $1 })
                    return
                }
                // A sleep that cancellation cuts short would use up the attempts within
                // microseconds, so the wait runs to its end.
                await Self.sleepIgnoringCancellation(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Returns once no acknowledgement is outstanding. Cancellation does not end the wait early.
    public func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isIdle = state.withLock { state -> Bool in
                guard state.outstanding > 0 else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if isIdle { continuation.resume() }
        }
    }

    private func acquireSlot() async {
        let acquired = state.withLock { state -> Bool in
            guard state.outstanding < limit else { return false }
            state.outstanding += 1
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquiredNow = state.withLock { state -> Bool in
                guard state.outstanding < limit else {
                    state.slotWaiters.append(continuation)
                    return false
                }
                state.outstanding += 1
                return true
            }
            if acquiredNow { continuation.resume() }
        }
    }

    /// Ends one outstanding acknowledgement, handing its place to the first waiting caller.
    private func releaseSlot() {
        let (next, idle) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            if !state.slotWaiters.isEmpty {
                // The place passes to the waiter, so the outstanding count stays the same.
                return (state.slotWaiters.removeFirst(), [])
            }
            state.outstanding -= 1
            guard state.outstanding == 0 else { return (nil, []) }
            defer { state.idleWaiters.removeAll() }
            return (nil, state.idleWaiters)
        }
        next?.resume()
        for waiter in idle { waiter.resume() }
    }

    private static func sleepIgnoringCancellation(for delay: Duration) async {
        await Task.detached { try? await Task.sleep(for: delay) }.value
    }
}
