import Synchronization

/// A sender of finished jobs' acknowledgements from a task of its own, so that a worker task takes
/// its next job without waiting for the round trip of the previous job's acknowledgement.
///
/// One list of jobs is acknowledged at a time, with `JobQueue.startAcknowledging(_:completion:)`,
/// one round trip on Redis. When it ends, the jobs added meanwhile go out as the next list. No task
/// waits for the round trip: the Redis queue sends the list with the worker's next fetch and runs
/// the completion on its connection's thread, so an acknowledgement costs no thread wake-up of its
/// own.
///
/// A failed acknowledgement is tried again, and a finished job is never sent to the retry set.
/// When Redis removed the job but the reply was lost, a retry would run the job a second time. A
/// `log_parts` job would then store its parts twice, possibly after the log was aggregated.
/// Acknowledging again is safe because removing a job that is no longer in progress changes
/// nothing.
///
/// At most `limit` acknowledgements are outstanding, and `acknowledge` waits for one of them to end
/// beyond that. While a list of jobs is retried, acknowledgements added meanwhile wait for it. A
/// process killed with acknowledgements outstanding runs those jobs again after recovery, as it
/// would a job killed mid-run. On a clean shutdown, call `waitUntilIdle()` before the queue hands
/// back its in-progress jobs, or finished jobs would be queued and run again.
public final class BackgroundAcknowledger: Sendable {
    /// The attempts at acknowledging one job or list of jobs. The waits between them start at
    /// 200 ms and double up to 5 s, about 16 s in all, which outlasts a Redis restart.
    public static let attempts = 8
    /// The wait before the second attempt.
    static let firstRetryDelay = Duration.milliseconds(200)

    /// Returns the wait that follows `delay`.
    static func retryDelay(after delay: Duration) -> Duration {
        min(delay * 2, .seconds(5))
    }

    private struct Pending {
        var job: ReservedJob
        var metadata: Logger.Metadata
        var completion: @Sendable () -> Void
    }

    private struct State {
        /// Acknowledgements pending or in flight, at most `limit`.
        var outstanding = 0
        var pending: [Pending] = []
        var isDraining = false
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

    /// Adds `job` to the pending acknowledgements and returns, after waiting for an outstanding
    /// acknowledgement to end when `limit` are outstanding. `completion` runs, on a thread of the
    /// queue's choice, after the acknowledgement succeeded or its last attempt failed, so it must
    /// not block.
    ///
    /// The acknowledgement does not depend on the caller's task, so a job that ran to the end is
    /// acknowledged even when its worker task is cancelled meanwhile.
    public func acknowledge(
        _ job: ReservedJob, metadata: Logger.Metadata, completion: @escaping @Sendable () -> Void = {}
    ) async {
        await acquireSlot()
        let startsDrain = state.withLock { state -> Bool in
            state.pending.append(Pending(job: job, metadata: metadata, completion: completion))
            guard !state.isDraining else { return false }
            state.isDraining = true
            return true
        }
        if startsDrain {
            sendNextList()
        }
    }

    /// Acknowledges `job` in the calling task, trying again as `acknowledge` does, and returns
    /// when that succeeded or its last attempt failed.
    public func acknowledgeNow(_ job: ReservedJob, metadata: Logger.Metadata) async {
        await acknowledgeNow([job], metadata: [metadata])
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

    /// Acknowledges the pending jobs as one list, or ends the drain when none is pending.
    private func sendNextList() {
        let list = state.withLock { state -> [Pending] in
            guard !state.pending.isEmpty else {
                state.isDraining = false
                return []
            }
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        if list.isEmpty { return }
        send(list, attempt: 1, delay: Self.firstRetryDelay)
    }

    /// Starts attempt `attempt` at acknowledging `list`; the next attempt waits `delay`.
    private func send(_ list: [Pending], attempt: Int, delay: Duration) {
        queue.startAcknowledging(list.map(\.job)) { error in
            if let error {
                guard attempt < Self.attempts else {
                    self.logFailure(list.map(\.metadata), error: error, attempts: attempt)
                    self.finish(list)
                    return
                }
                // Detached, so no caller's cancellation cuts the wait short and uses up the
                // attempts within microseconds.
                Task.detached {
                    try? await Task.sleep(for: delay)
                    self.send(list, attempt: attempt + 1, delay: Self.retryDelay(after: delay))
                }
                return
            }
            self.finish(list)
        }
    }

    private func finish(_ list: [Pending]) {
        for item in list { item.completion() }
        releaseSlots(list.count)
        sendNextList()
    }

    private func logFailure(_ metadata: [Logger.Metadata], error: any Error, attempts: Int) {
        for jobMetadata in metadata {
            logger.error(
                "acknowledging a finished job failed; it stays in progress until recovered",
                metadata: jobMetadata.merging(["error": "\(error)", "attempts": "\(attempts)"]) { $1 })
        }
    }

    private func acknowledgeNow(_ jobs: [ReservedJob], metadata: [Logger.Metadata]) async {
        var delay = Self.firstRetryDelay
        for attempt in 1...Self.attempts {
            do {
                try await queue.acknowledge(jobs)
                return
            } catch {
                guard attempt < Self.attempts else {
                    logFailure(metadata, error: error, attempts: attempt)
                    return
                }
                // A sleep that cancellation cuts short would use up the attempts within
                // microseconds, so the wait runs to its end.
                await Self.sleepIgnoringCancellation(for: delay)
                delay = Self.retryDelay(after: delay)
            }
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

    /// Ends `count` outstanding acknowledgements, handing their places to waiting callers first.
    private func releaseSlots(_ count: Int) {
        typealias Waiters = (slots: [CheckedContinuation<Void, Never>], idle: [CheckedContinuation<Void, Never>])
        let waiters = state.withLock { state -> Waiters in
            // A place that passes to a waiter stays counted as outstanding.
            let handedOver = min(count, state.slotWaiters.count)
            let slots = Array(state.slotWaiters.prefix(handedOver))
            state.slotWaiters.removeFirst(handedOver)
            state.outstanding -= count - handedOver
            guard state.outstanding == 0 else { return (slots, []) }
            defer { state.idleWaiters.removeAll() }
            return (slots, state.idleWaiters)
        }
        for waiter in waiters.slots { waiter.resume() }
        for waiter in waiters.idle { waiter.resume() }
    }

    private static func sleepIgnoringCancellation(for delay: Duration) async {
        await Task.detached { try? await Task.sleep(for: delay) }.value
    }
}
