import LogsCore

/// Queues the parts of concurrent `PUT /log-parts` requests together: a group commit.
///
/// While one `Pipeline.enqueue` call is in flight, the parts of the requests that arrive are
/// collected, and the next call queues them all. A busy server so makes one Redis round trip per
/// batch of requests instead of one per request. An idle server queues a request's part at
/// once. Each request returns only after the call that carried its part has finished, and every
/// request of a failed call gets that call's error.
final class PartBatcher: Sendable {
    private let queue: GroupCommitQueue<[RawLogPart], Void>

    /// - Parameter maximumBatchSize: the maximum number of parts in one `enqueue` call. More wait for
    ///   the next call.
    init(pipeline: Pipeline, maximumBatchSize: Int = 500) {
        queue = GroupCommitQueue(maximumBatchWeight: maximumBatchSize) { requests in
            try await pipeline.enqueue(requests.flatMap { $0 })
            return requests.map { _ in () }
        }
    }

    /// Queues the parts with those of concurrent callers and returns once they are queued.
    ///
    /// - Throws: the error of the `Pipeline.enqueue` call that carried them.
    func enqueue(_ parts: [RawLogPart]) async throws {
        try await queue.submit(parts, weight: parts.count)
    }
}
