import Synchronization

/// Runs the requests of concurrent callers in batches: a group commit.
///
/// While one batch runs, the requests that arrive are collected, and the next batch carries them
/// all. An idle queue starts a batch at once. Each batch starts after every request in it arrived,
/// and each caller returns once the batch that carried its request has finished, with that
/// request's result or the batch's error.
public final class GroupCommitQueue<Request: Sendable, Result: Sendable>: Sendable {
    /// Runs one batch and returns one result per request, in request order.
    public typealias Operation = @Sendable ([Request]) async throws -> [Result]

    private struct Waiter {
        var request: Request
        var weight: Int
        var continuation: CheckedContinuation<Result, any Error>
    }

    private struct State {
        var waiting: [Waiter] = []
        var isRunning = false
    }

    private let maximumBatchWeight: Int
    private let operation: Operation
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maximumBatchWeight: the maximum total weight of the requests in one batch. More wait for
    ///     the next batch, and a single request heavier than this runs alone.
    ///   - operation: runs one batch. It must return exactly one result per request.
    public init(maximumBatchWeight: Int, operation: @escaping Operation) {
        self.maximumBatchWeight = max(1, maximumBatchWeight)
        self.operation = operation
    }

    /// The number of requests that wait for a batch to start.
    public var waitingCount: Int {
        state.withLock { $0.waiting.count }
    }

    /// Runs the request in the next batch and returns its result.
    ///
    /// - Parameter weight: the request's share of `maximumBatchWeight`, such as its number of items.
    /// - Throws: the error of the batch that carried the request.
    public func submit(_ request: Request, weight: Int = 1) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let startsRunning = state.withLock { state -> Bool in
                state.waiting.append(Waiter(request: request, weight: weight, continuation: continuation))
                guard !state.isRunning else { return false }
                state.isRunning = true
                return true
            }
            if startsRunning {
                Task { await self.runUntilNoneWait() }
            }
        }
    }

    private func runUntilNoneWait() async {
        while let batch = nextBatch() {
            do {
                let results = try await operation(batch.map(\.request))
                precondition(
                    results.count == batch.count,
                    "a group commit operation returned \(results.count) results for \(batch.count) requests")
                for (waiter, result) in zip(batch, results) { waiter.continuation.resume(returning: result) }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    /// Takes waiting requests up to `maximumBatchWeight`, or ends the run when none wait.
    private func nextBatch() -> [Waiter]? {
        state.withLock { state -> [Waiter]? in
            guard !state.waiting.isEmpty else {
                state.isRunning = false
                return nil
            }
            var weight = 0
            var takenCount = 0
            while takenCount < state.waiting.count,
                takenCount == 0 || weight + state.waiting[takenCount].weight <= maximumBatchWeight
            {
                weight += state.waiting[takenCount].weight
                takenCount += 1
            }
            let batch = Array(state.waiting.prefix(takenCount))
            state.waiting.removeFirst(takenCount)
            return batch
        }
    }
}
