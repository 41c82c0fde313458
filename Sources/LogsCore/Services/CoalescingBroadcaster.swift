import Synchronization

/// A `Broadcaster` that merges concurrent `broadcast` calls into fewer, larger calls of the
/// broadcaster it wraps.
///
/// A call adds its events to a list and waits. At most `maximumConcurrentSends` sends run at once.
/// Each send takes the waiting calls in arrival order, whole, up to `maximumBatchSize` events (but
/// always at least one call), and passes their events to one call of the wrapped broadcaster. So
/// the calls that arrive while the sends are busy go out together in the next send, and a worker
/// that forwards one part per job makes one Pusher request or Redis round trip per batch instead
/// of per part. Within one send, each job's events are put in part-number order, because
/// consecutive parts of a log that concurrent workers forwarded may arrive here in either order.
///
/// A call returns once its events are sent, and throws the error of the send that carried them.
public final class CoalescingBroadcaster: Broadcaster {
    private struct Waiter {
        var events: [LogPartEvent]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var waiters: [Waiter] = []
        var runningSends = 0
    }

    private let wrapped: any Broadcaster
    private let maximumBatchSize: Int
    private let maximumConcurrentSends: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maximumBatchSize: the maximum number of events per call of `wrapped`, unless one call
    ///     of this broadcaster has more, which is then sent alone and whole.
    ///   - maximumConcurrentSends: the maximum number of calls of `wrapped` that run at once.
    public init(_ wrapped: any Broadcaster, maximumBatchSize: Int, maximumConcurrentSends: Int) {
        self.wrapped = wrapped
        self.maximumBatchSize = max(1, maximumBatchSize)
        self.maximumConcurrentSends = max(1, maximumConcurrentSends)
    }

    /// The number of calls waiting for a send, for tests.
    var waitingCallCount: Int {
        state.withLock { $0.waiters.count }
    }

    public func broadcast(_ events: [LogPartEvent]) async throws {
        guard !events.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startsSend = state.withLock { state -> Bool in
                state.waiters.append(Waiter(events: events, continuation: continuation))
                guard state.runningSends < maximumConcurrentSends else { return false }
                state.runningSends += 1
                return true
            }
            if startsSend {
                // A task of its own, so that no caller waits for other callers' sends and a
                // caller's cancellation cannot fail the others.
                Task.detached { await self.sendUntilNoneWait() }
            }
        }
    }

    /// Sends batches until no call waits.
    private func sendUntilNoneWait() async {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            do {
                try await wrapped.broadcast(Self.orderedByPartNumber(batch.flatMap(\.events)))
                for waiter in batch { waiter.continuation.resume() }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    /// Takes the waiting calls of the next send, or returns none and ends this send's loop.
    private func nextBatch() -> [Waiter] {
        state.withLock { state in
            var eventCount = 0
            var callCount = 0
            for waiter in state.waiters {
                if callCount > 0 && eventCount + waiter.events.count > maximumBatchSize { break }
                eventCount += waiter.events.count
                callCount += 1
            }
            guard callCount > 0 else {
                state.runningSends -= 1
                return []
            }
            let batch = Array(state.waiters.prefix(callCount))
            state.waiters.removeFirst(callCount)
            return batch
        }
    }

    /// Returns the events with each job's events sorted by part number, in the places that job's
    /// events had, so the order between jobs stays as given.
    static func orderedByPartNumber(_ events: [LogPartEvent]) -> [LogPartEvent] {
        if events.count <= maximumPairwiseCheckCount && isOrderedByPartNumber(events) { return events }
        var positions: [JobID: [Int]] = [:]
        for (index, event) in events.enumerated() {
            positions[event.jobID, default: []].append(index)
        }
        var ordered = events
        for indices in positions.values where indices.count > 1 {
            let sorted = indices.map { events[$0] }.sorted { $0.number < $1.number }
            for (index, event) in zip(indices, sorted) {
                ordered[index] = event
            }
        }
        return ordered
    }

    /// The largest batch that `orderedByPartNumber` checks pair by pair before it builds a
    /// dictionary of positions, which cost more than the check for the batches of a Pusher send.
    private static let maximumPairwiseCheckCount = 32

    /// Returns whether no event comes before an event of the same job with a lower part number.
    private static func isOrderedByPartNumber(_ events: [LogPartEvent]) -> Bool {
        for later in events.indices.dropFirst() {
            for earlier in events.indices[..<later]
            where events[earlier].jobID == events[later].jobID && events[earlier].number > events[later].number {
                return false
            }
        }
        return true
    }
}
