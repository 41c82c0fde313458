import LogsCore

/// Where the stream endpoint gets a job's live part events.
///
/// `InMemoryLiveStream` serves one process; a Redis pub/sub subscriber serves several, so that a
/// browser connected to one `web` process sees parts that another process received.
public protocol LiveEventSource: Sendable {
    /// Returns the job's events from now on. The stream ends after the final part, or when the
    /// caller stops iterating.
    func subscribe(jobID: JobID) async -> AsyncStream<LiveEvent>
}

/// One element of a live event stream.
public enum LiveEvent: Sendable, Equatable {
    /// A part as the live forwarder published it.
    case part(LogPartEvent)
    /// The source subscribed again after losing its subscription. Parts published in between were
    /// lost, so the stream reads them from the store.
    case resubscribed
}

extension InMemoryLiveStream: LiveEventSource {
    /// Returns the job's parts as `LiveEvent`s. An in-memory stream never loses its subscription,
    /// so it sends no `resubscribed`.
    public func subscribe(jobID: JobID) -> AsyncStream<LiveEvent> {
        let parts = subscribe(jobID: jobID, bufferSize: 10_000)
        return AsyncStream { continuation in
            let forwarding = Task {
                for await part in parts { continuation.yield(.part(part)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in forwarding.cancel() }
        }
    }
}
