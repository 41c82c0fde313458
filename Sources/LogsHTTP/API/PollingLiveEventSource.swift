import LogsCore

/// Live events read from the part store at an interval, so that a `web` process streams parts that
/// other processes received and stored.
///
/// Each subscription queries the job's parts after the highest number it has seen, once per
/// `interval`, and ends after the final part.
// TODO: publish parts on Redis pub/sub from the live forwarder, which delivers them before they
// are stored and without a query per stream. Until then, a part stored with a number below one
// already seen is not streamed.
public struct PollingLiveEventSource: LiveEventSource {
    private let store: any PartStore
    private let interval: Duration
    private let logger: Logger

    public init(store: any PartStore, interval: Duration = .milliseconds(500), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func subscribe(jobID: JobID) -> AsyncStream<LogPartEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: LogPartEvent.self)
        let task = Task { [store, interval, logger] in
            var after: Int?
            var logID: LogID?
            while !Task.isCancelled {
                do {
                    if logID == nil { logID = try await store.logID(forJobID: jobID) }
                    if let logID {
                        let parts = try await store.logParts(logID: logID, query: LogPartsQuery(after: after))
                        for part in parts {
                            let event = LogPartEvent(
                                channel: "", jobID: jobID,
                                content: PartContent.displayText(ofStoredText: part.content ?? ""),
                                number: part.number, isFinal: part.isFinal)
                            continuation.yield(event)
                            after = max(after ?? part.number, part.number)
                            if part.isFinal {
                                continuation.finish()
                                return
                            }
                        }
                    }
                } catch {
                    logger.warning(
                        "reading parts for a live stream failed", metadata: ["job_id": "\(jobID)", "error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
