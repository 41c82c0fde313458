import LogsCore

/// Where the stream endpoint gets a job's live part events.
///
/// `InMemoryLiveStream` serves one process; a Redis pub/sub subscriber serves several, so that a
/// browser connected to one `web` process sees parts that another process received.
public protocol LiveEventSource: Sendable {
    /// Returns the job's events from now on. The stream ends after the final part, or when the
    /// caller stops iterating.
    func subscribe(jobID: JobID) async -> AsyncStream<LogPartEvent>
}

extension InMemoryLiveStream: LiveEventSource {
    public func subscribe(jobID: JobID) -> AsyncStream<LogPartEvent> {
        subscribe(jobID: jobID, bufferSize: 10_000)
    }
}
