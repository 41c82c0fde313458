import LogsCore
import LogsTransport
import Synchronization

/// Live part events from the Redis pub/sub channel that the live forwarders of every process
/// publish on, fanned out to this process's stream clients by job.
///
/// One `RedisSubscriber` connection serves every client. Each message goes to the clients of its
/// job on the subscriber's thread, without a hop through an actor. After the subscription is made
/// again, for example after Redis restarted, every client gets `LiveEvent.resubscribed`, because
/// the messages published in between are lost. Each `StreamSession` then reads the parts after the
/// last one it sent from the store, and drops the parts it gets twice.
///
/// With an audience, the source marks each job that its clients watch, before the first client's
/// stream reads the store, and renews the marks while clients stay, so that the forwarders publish
/// those jobs' parts.
public final class RedisLiveEventSource: LiveEventSource {
    private typealias Continuation = AsyncStream<LiveEvent>.Continuation

    private struct State {
        /// The clients' continuations by job and by subscription id.
        var jobs: [JobID: [Int: Continuation]] = [:]
        var nextID = 0
        var isStopped = false
    }

    private let logger: Logger
    private let bufferSize: Int
    private let state = Mutex(State())
    private let subscriber = Mutex<RedisSubscriber?>(nil)
    private let audience: (any LiveStreamAudience)?
    private let renewalInterval: Duration
    private let markRetryInterval: Duration
    /// Whether a mark failed since the last renewal began, so the marks are set again after
    /// `markRetryInterval` instead of at the next renewal.
    private let markFailed = Mutex(false)
    private let renewal = Mutex<Task<Void, Never>?>(nil)
    private let failureRuns = FailureRuns()

    /// - Parameters:
    ///   - channel: the channel the forwarders publish on, as `RedisLiveChannel` describes.
    ///   - bufferSize: how many events a slow client may fall behind before the oldest are dropped.
    ///   - audience: where the watched jobs are marked for the forwarders; nil when they publish
    ///     every part.
    ///   - renewalInterval: how often the marks of the watched jobs are renewed, well within their
    ///     lifetime.
    ///   - markRetryInterval: how soon after a failed mark, for example while Redis restarts, every
    ///     watched job is marked again.
    public init(
        endpoint: RedisEndpoint, channel: String = RedisLiveChannel.defaultName,
        settings: RedisConnectionPool.Settings = .init(), bufferSize: Int = 10_000,
        audience: (any LiveStreamAudience)? = nil,
        renewalInterval: Duration = LiveStreamAudienceDefaults.renewalInterval,
        markRetryInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.logger = logger
        self.bufferSize = bufferSize
        self.audience = audience
        self.renewalInterval = renewalInterval
        self.markRetryInterval = markRetryInterval
        let redisSubscriber = RedisSubscriber(
            endpoint: endpoint, channel: channel, settings: settings, logger: logger,
            onMessage: { [weak self] message in self?.receive(message) },
            onSubscribed: { [weak self] in self?.resubscribed() })
        subscriber.withLock { $0 = redisSubscriber }
    }

    /// Connects and subscribes on the subscriber's own thread, which delivers events until `stop()`,
    /// and renews the marks of the watched jobs every `renewalInterval`, or after
    /// `markRetryInterval` when a mark failed.
    public func start() {
        subscriber.withLock { $0 }?.start()
        guard audience != nil else { return }
        let task = Task { [weak self] in
            var lastRenewal = ContinuousClock.now
            while !Task.isCancelled {
                guard let step = self.map({ min($0.renewalInterval, $0.markRetryInterval) }) else { return }
                try? await Task.sleep(for: step)
                guard let self, !Task.isCancelled else { return }
                let isDue = ContinuousClock.now - lastRenewal >= renewalInterval
                guard isDue || markFailed.withLock({ $0 }) else { continue }
                lastRenewal = .now
                markFailed.withLock { $0 = false }
                await mark(state.withLock { Array($0.jobs.keys) })
            }
        }
        renewal.withLock { $0 = task }
    }

    /// Closes the subscription and ends every client's stream.
    public func stop() {
        subscriber.withLock { $0 }?.stop()
        renewal.withLock { $0 }?.cancel()
        let continuations = state.withLock { state in
            state.isStopped = true
            defer { state.jobs.removeAll() }
            return state.jobs.values.flatMap(\.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    /// Returns the job's events from now on. The job's first client waits for its job to be
    /// marked as watched, so that the stream's read of the store comes after the mark.
    public func subscribe(jobID: JobID) async -> AsyncStream<LiveEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: LiveEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let subscription = state.withLock { state -> (id: Int, isFirst: Bool)? in
            guard !state.isStopped else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.jobs[jobID, default: [:]][id] = continuation
            return (id, state.jobs[jobID]?.count == 1)
        }
        guard let subscription else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(jobID: jobID, id: subscription.id) }
        if subscription.isFirst { await mark([jobID]) }
        return stream
    }

    /// Marks jobs as watched, a thousand at a time. A failure is logged once per run of failures,
    /// and the renewal task marks every watched job again after `markRetryInterval`. The streams
    /// go on meanwhile, and get the parts that no forwarder published from the store.
    private func mark(_ jobIDs: [JobID]) async {
        guard let audience else { return }
        var start = 0
        while start < jobIDs.count {
            let end = min(start + 1_000, jobIDs.count)
            do {
                try await audience.markWatched(Array(jobIDs[start..<end]))
                failureRuns.logRecovery(
                    "mark", to: logger, "marking watched jobs works again", countName: "failed_marks")
            } catch {
                markFailed.withLock { $0 = true }
                failureRuns.logFailure(
                    "mark", to: logger, level: .warning,
                    "marking watched jobs failed, so their streams may get parts late",
                    metadata: ["error": "\(error)"])
            }
            start = end
        }
    }

    /// Returns the number of open streams of a job.
    public func subscriberCount(jobID: JobID) -> Int {
        state.withLock { $0.jobs[jobID]?.count ?? 0 }
    }

    private func unsubscribe(jobID: JobID, id: Int) {
        state.withLock { state in
            state.jobs[jobID]?[id] = nil
            if state.jobs[jobID]?.isEmpty == true { state.jobs[jobID] = nil }
        }
    }

    /// Decodes a message and delivers it to the clients of its job. A message of a job that no
    /// client of this process watches is dropped once its job id is read, without decoding it.
    func receive(_ message: String) {
        if let jobID = RedisLiveChannel.jobID(inMessage: message), subscriberCount(jobID: jobID) == 0 { return }
        guard let event = RedisLiveChannel.event(fromMessage: message) else {
            logger.warning(
                "skipped a live message that is not a log part event", metadata: ["bytes": "\(message.utf8.count)"])
            return
        }
        deliver(event)
    }

    /// Yields the event to its job's clients, and ends their streams after the final part.
    private func deliver(_ event: LogPartEvent) {
        let continuations = state.withLock { state -> [Continuation] in
            guard let subscribers = state.jobs[event.jobID] else { return [] }
            if event.isFinal { state.jobs[event.jobID] = nil }
            return Array(subscribers.values)
        }
        for continuation in continuations {
            continuation.yield(.part(event))
            if event.isFinal { continuation.finish() }
        }
    }

    /// Marks the watched jobs again, then sends their clients `LiveEvent.resubscribed`, so they read
    /// the store.
    ///
    /// A Redis server that restarted without saving its data lost the marks too, so without this
    /// the forwarders would skip these jobs' parts until the next renewal. The marks come before
    /// the event, so that the store reads it starts come after them.
    private func resubscribed() {
        let jobIDs = state.withLock { Array($0.jobs.keys) }
        guard audience != nil, !jobIDs.isEmpty else {
            announceResubscription()
            return
        }
        Task {
            await mark(jobIDs)
            announceResubscription()
        }
    }

    /// Tells every client that messages may have been lost while the subscription was down.
    private func announceResubscription() {
        let continuations = state.withLock { state in state.jobs.values.flatMap(\.values) }
        for continuation in continuations { continuation.yield(.resubscribed) }
    }
}
