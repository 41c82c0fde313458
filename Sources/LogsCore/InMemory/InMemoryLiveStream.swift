/// Live events fanned out to subscribers in this process: the `Broadcaster` behind the stream
/// endpoint when everything runs in one process.
public actor InMemoryLiveStream: Broadcaster {
    private var subscribers: [JobID: [Int: AsyncStream<LogPartEvent>.Continuation]] = [:]
    private var nextSubscriberID = 0

    public init() {}

    /// Returns the events of one job from now on. The stream ends when the subscriber stops
    /// iterating it or the job's final part has been delivered.
    public func subscribe(jobID: JobID, bufferSize: Int = 10_000) -> AsyncStream<LogPartEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: LogPartEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id = nextSubscriberID
        nextSubscriberID += 1
        subscribers[jobID, default: [:]][id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(jobID: jobID, id: id) }
        }
        return stream
    }

    public func subscriberCount(jobID: JobID) -> Int {
        subscribers[jobID]?.count ?? 0
    }

    public func broadcast(_ events: [LogPartEvent]) {
        for event in events {
            let continuations = subscribers[event.jobID, default: [:]].values
            for continuation in continuations {
                continuation.yield(event)
                if event.isFinal { continuation.finish() }
            }
            if event.isFinal { subscribers[event.jobID] = nil }
        }
    }

    private func unsubscribe(jobID: JobID, id: Int) {
        subscribers[jobID]?[id] = nil
        if subscribers[jobID]?.isEmpty == true { subscribers[jobID] = nil }
    }
}
