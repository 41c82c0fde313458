import LogsCore
import LogsTransport
import Synchronization

/// Live part events from the Redis pub/sub channel that the live forwarders of every process
/// publish on, fanned out to this process's stream clients by job.
///
/// One `RedisSubscriber` connection serves every client. Each message goes to the clients of its
/// job on the subscriber's thread, without a hop through an actor. After the subscription is made
/// again, for example after Redis restarted, the parts of each watched job stored since the
/// highest number delivered are read from `store` and delivered, because the messages published
/// in between are lost. Clients may get a part twice (live and from the store), and
/// `StreamSession` drops the repeat.
public final class RedisLiveEventSource: LiveEventSource {
    private struct Subscribers {
        var continuations: [Int: AsyncStream<LogPartEvent>.Continuation] = [:]
        /// The highest part number delivered to this job's clients.
        var highestNumber: Int?
    }

    private struct State {
        var jobs: [JobID: Subscribers] = [:]
        var nextID = 0
        var isStopped = false
    }

    private let store: any PartStore
    private let logger: Logger
    private let bufferSize: Int
    private let state = Mutex(State())
    private let subscriber = Mutex<RedisSubscriber?>(nil)

    /// - Parameters:
    ///   - channel: the channel the forwarders publish on, as `RedisLiveChannel` describes.
    ///   - store: where parts missed while the subscription was down are read from.
    ///   - bufferSize: how many events a slow client may fall behind before the oldest are dropped.
    public init(
        endpoint: RedisEndpoint, channel: String = RedisLiveChannel.defaultName,
        settings: RedisConnectionPool.Settings = .init(), store: any PartStore, bufferSize: Int = 10_000,
        logger: Logger
    ) {
        self.store = store
        self.logger = logger
        self.bufferSize = bufferSize
        let redisSubscriber = RedisSubscriber(
            endpoint: endpoint, channel: channel, settings: settings, logger: logger,
            onMessage: { [weak self] message in self?.receive(message) },
            onSubscribed: { [weak self] in self?.catchUp() })
        subscriber.withLock { $0 = redisSubscriber }
    }

    /// Connects and subscribes on the subscriber's own thread, which delivers events until `stop()`.
    public func start() {
        subscriber.withLock { $0 }?.start()
    }

    /// Closes the subscription and ends every client's stream.
    public func stop() {
        subscriber.withLock { $0 }?.stop()
        let continuations = state.withLock { state in
            state.isStopped = true
            defer { state.jobs.removeAll() }
            return state.jobs.values.flatMap { $0.continuations.values }
        }
        for continuation in continuations { continuation.finish() }
    }

    public func subscribe(jobID: JobID) -> AsyncStream<LogPartEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: LogPartEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id = state.withLock { state -> Int? in
            guard !state.isStopped else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.jobs[jobID, default: Subscribers()].continuations[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(jobID: jobID, id: id) }
        return stream
    }

    /// Returns the number of open streams of a job.
    public func subscriberCount(jobID: JobID) -> Int {
        state.withLock { $0.jobs[jobID]?.continuations.count ?? 0 }
    }

    private func unsubscribe(jobID: JobID, id: Int) {
        state.withLock { state in
            state.jobs[jobID]?.continuations[id] = nil
            if state.jobs[jobID]?.continuations.isEmpty == true { state.jobs[jobID] = nil }
        }
    }

    private func receive(_ message: String) {
        guard let event = RedisLiveChannel.event(fromMessage: message) else {
            logger.warning(
                "skipped a live message that is not a log part event", metadata: ["bytes": "\(message.utf8.count)"])
            return
        }
        deliver(event)
    }

    /// Yields the event to its job's clients, and ends their streams after the final part.
    private func deliver(_ event: LogPartEvent) {
        let continuations = state.withLock { state -> [AsyncStream<LogPartEvent>.Continuation] in
            guard var subscribers = state.jobs[event.jobID] else { return [] }
            subscribers.highestNumber = max(subscribers.highestNumber ?? event.number, event.number)
            state.jobs[event.jobID] = event.isFinal ? nil : subscribers
            return Array(subscribers.continuations.values)
        }
        for continuation in continuations {
            continuation.yield(event)
            if event.isFinal { continuation.finish() }
        }
    }

    /// Reads and delivers the stored parts of every watched job after the highest part delivered.
    private func catchUp() {
        let watched = state.withLock { state in state.jobs.mapValues(\.highestNumber) }
        guard !watched.isEmpty else { return }
        Task { [store, logger] in
            for (jobID, highestNumber) in watched {
                do {
                    guard let logID = try await store.logID(forJobID: jobID) else { continue }
                    let parts = try await store.logParts(logID: logID, query: LogPartsQuery(after: highestNumber))
                    for part in parts.sorted(by: { $0.number < $1.number }) {
                        deliver(
                            LogPartEvent(
                                channel: LogPartEvent.channel(for: jobID, isPrivate: false), jobID: jobID,
                                content: PartContent.displayText(ofStoredText: part.content ?? ""),
                                number: part.number, isFinal: part.isFinal))
                    }
                } catch {
                    logger.warning(
                        "reading parts missed by a live stream failed",
                        metadata: ["job_id": "\(jobID)", "error": "\(error)"])
                }
            }
        }
    }
}
