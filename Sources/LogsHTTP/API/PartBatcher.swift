import LogsCore
import Synchronization

/// Queues the parts of concurrent `PUT /log-parts` requests together: a group commit.
///
/// While one `Pipeline.enqueue` call is in flight, the parts of the requests that arrive are
/// collected, and the next call queues them all. A busy server so makes one Redis round trip per
/// batch of requests instead of one per request. An idle server queues a request's part at
/// once. Each request returns only after the call that carried its part has finished, and every
/// request of a failed call gets that call's error.
final class PartBatcher: Sendable {
    private struct Waiter {
        var parts: [RawLogPart]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var waiting: [Waiter] = []
        var isFlushing = false
    }

    private let pipeline: Pipeline
    private let maximumBatchSize: Int
    private let state = Mutex(State())

    /// - Parameter maximumBatchSize: the maximum number of parts in one `enqueue` call. More wait for
    ///   the next call.
    init(pipeline: Pipeline, maximumBatchSize: Int = 500) {
        self.pipeline = pipeline
        self.maximumBatchSize = max(1, maximumBatchSize)
    }

    /// Queues the parts with those of concurrent callers and returns once they are queued.
    ///
    /// - Throws: the error of the `Pipeline.enqueue` call that carried them.
    func enqueue(_ parts: [RawLogPart]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startsFlushing = state.withLock { state -> Bool in
                state.waiting.append(Waiter(parts: parts, continuation: continuation))
                guard !state.isFlushing else { return false }
                state.isFlushing = true
                return true
            }
            if startsFlushing {
                Task { await flush() }
            }
        }
    }

    /// Queues batches until no request waits.
    private func flush() async {
        while let batch = nextBatch() {
            do {
                try await pipeline.enqueue(batch.flatMap(\.parts))
                for waiter in batch { waiter.continuation.resume() }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    /// Takes waiting requests up to `maximumBatchSize` parts, or ends the flush when none wait.
    private func nextBatch() -> [Waiter]? {
        state.withLock { state -> [Waiter]? in
            guard !state.waiting.isEmpty else {
                state.isFlushing = false
                return nil
            }
            var partCount = 0
            var takenCount = 0
            // A single request larger than the limit still goes alone.
            while takenCount < state.waiting.count,
                takenCount == 0 || partCount + state.waiting[takenCount].parts.count <= maximumBatchSize
            {
                partCount += state.waiting[takenCount].parts.count
                takenCount += 1
            }
            let batch = Array(state.waiting.prefix(takenCount))
            state.waiting.removeFirst(takenCount)
            return batch
        }
    }
}
