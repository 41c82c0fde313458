import Foundation
import LogsCore
import Synchronization

/// A `JobQueue` on Redis in Sidekiq's wire format, with reliable fetch.
///
/// Jobs are pushed with `LPUSH` onto `queue:<name>` and taken from the other end, as Sidekiq
/// does, so Ruby Sidekiq processes and this queue can share queues. A taken job moves atomically
/// into this process's in-progress list and stays there until it is acknowledged, retried,
/// buried or requeued. Each process keeps a heartbeat key alive. When another process's heartbeat
/// is gone, its in-progress jobs are pushed back to their queues, at start and then every
/// `Settings.recoveryInterval`. Delivery is therefore at least once: a job can run twice
/// when a process dies after running it but before acknowledging it.
///
/// A fetch that Redis ran but whose reply never arrived leaves jobs in the in-progress list that
/// no task holds. The queue counts the jobs it holds, so after such a failure the next `reserve`
/// pushes the entries that no task holds back to their queues, and only those.
public final class RedisJobQueue: JobQueue, Sendable {
    public struct Settings: Sendable, Hashable {
        /// The name of this process's in-progress list and heartbeat; unique per process.
        public var identity: String
        /// How often the heartbeat key is refreshed.
        public var heartbeatInterval: Duration
        /// The heartbeat key's expiry: a process silent this long counts as dead.
        ///
        /// With the defaults (a beat every 5 s, 20 s of silence, a look for dead processes about
        /// every 5 s), the jobs of a killed process are back in their queues within about 30 s.
        /// That has to stay well under the aggregator's missing-parts wait (60 s by default):
        /// a `log_parts` job that comes back after its log was aggregated appends its parts out of
        /// order.
        public var processTimeout: Duration
        /// The average interval between moves of due scheduled and retry jobs to their queues.
        /// Each wait is drawn between half and one and a half times this, so processes spread out.
        public var promotionInterval: Duration
        /// How often in-progress lists of dead processes are looked for, besides at start.
        public var recoveryInterval: Duration
        /// The maximum wait of one blocking read, which bounds how late a stop is noticed.
        public var maximumBlock: Duration
        /// The maximum number of jobs taken per round trip. Jobs beyond the first wait in memory,
        /// already in the in-progress list, for the next `reserve`; `close()` pushes back any
        /// left. Values above 1 trade the weighted order's fairness for fewer round trips.
        public var prefetch: Int
        /// Whether an acknowledgement also takes the next job, up to `prefetch` jobs, for the
        /// queues of the latest `reserve`, in the same round trip. The job waits in memory, in
        /// the in-progress list, for the next `reserve`, and `close()` pushes it back when no
        /// `reserve` comes. This saves the fetch's round trip when the worker waits for each
        /// acknowledgement (`JobRunner.runNext`), at the cost of taking a job a moment before a
        /// worker is free for it. `JobRunner.run` acknowledges in the background, so there it saves
        /// little.
        ///
        /// Off by default: a process killed with a job taken ahead leaves that job in its
        /// in-progress list until another process recovers it after `processTimeout`, later than
        /// jobs of the same log taken after it.
        public var fetchesOnAcknowledge: Bool
        /// How long a unique job's claim outlives its due time, in case the job is removed by
        /// something that does not release the claim, such as a Ruby Sidekiq process.
        public var uniqueClaimExpiry: Duration
        /// The dead set keeps at most this many jobs, as Sidekiq's `dead_max_jobs` does.
        public var deadMaximumJobs: Int
        /// Jobs older than this leave the dead set, as with Sidekiq's `dead_timeout_in_seconds`.
        public var deadTimeout: Duration

        public init(
            identity: String = Settings.makeIdentity(), heartbeatInterval: Duration = .seconds(5),
            processTimeout: Duration = .seconds(20), promotionInterval: Duration = .seconds(5),
            recoveryInterval: Duration = .seconds(5), maximumBlock: Duration = .seconds(2), prefetch: Int = 1,
            fetchesOnAcknowledge: Bool = false, uniqueClaimExpiry: Duration = .seconds(3600),
            deadMaximumJobs: Int = 10_000,
            deadTimeout: Duration = .seconds(180 * 24 * 3600)
        ) {
            self.identity = identity
            self.heartbeatInterval = heartbeatInterval
            self.processTimeout = processTimeout
            self.promotionInterval = promotionInterval
            self.recoveryInterval = recoveryInterval
            self.maximumBlock = maximumBlock
            self.prefetch = max(1, prefetch)
            self.fetchesOnAcknowledge = fetchesOnAcknowledge
            self.uniqueClaimExpiry = uniqueClaimExpiry
            self.deadMaximumJobs = deadMaximumJobs
            self.deadTimeout = deadTimeout
        }

        /// Returns `<host>:<pid>:<random hex>`, as Sidekiq names its processes.
        public static func makeIdentity() -> String {
            let random = (0..<6).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
            return "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(random)"
        }
    }

    struct State {
        var isStarted = false
        var isClosed = false
        var nextPromotion: ContinuousClock.Instant?
        var nextRecovery: ContinuousClock.Instant?
        /// When a failed reconciliation of the in-progress list may be tried again.
        var nextReconciliation: ContinuousClock.Instant?
        var isPromoting = false
        var heartbeat: Task<Void, Never>?
        /// Jobs taken by a prefetching fetch and not yet handed out, with their queue names.
        var prefetched: [(queue: String, payload: String)] = []
        /// The queues of the latest `reserve`, which an acknowledgement fetches the next job from.
        var lastReservedQueues: [WeightedQueue]?
        /// The jobs of the in-progress list that this process holds, and its fetches in flight.
        var ledger = InProgressLedger()
    }

    public let pool: RedisConnectionPool
    public let keys: RedisQueueKeys
    public let settings: Settings
    let clock: any LogsClock
    let logger: Logger
    let state = Mutex(State())
    /// The batcher of fetch scripts and acknowledgements, so concurrent workers share round trips.
    let batcher: RedisPipelineBatcher

    public init(
        pool: RedisConnectionPool, namespace: String = "", settings: Settings = Settings(),
        clock: any LogsClock = SystemClock(), logger: Logger
    ) {
        self.pool = pool
        self.batcher = RedisPipelineBatcher(pool: pool)
        self.keys = RedisQueueKeys(namespace: namespace)
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public var identity: String { settings.identity }

    // MARK: - Pushing

    public func push(_ jobs: [Job]) async throws {
        guard !jobs.isEmpty else { return }
        let now = clock.now().timeIntervalSince1970
        var plain: [String: [String]] = [:]
        var queueOrder: [String] = []
        var commands: [RedisCommand] = []
        for var job in jobs {
            job.enqueuedAt = now
            let payload = Self.serialize(job)
            if let uniqueKey = SidekiqJobJSON.uniqueKey(of: job) {
                commands.append(
                    .evaluate(
                        RedisQueueScripts.pushUnique,
                        keys: [keys.unique(uniqueKey), keys.queues, keys.queue(job.queue)],
                        arguments: [job.queue, payload, Self.milliseconds(settings.uniqueClaimExpiry)]))
                continue
            }
            if plain[job.queue] == nil { queueOrder.append(job.queue) }
            plain[job.queue, default: []].append(payload)
        }
        for queue in queueOrder {
            commands.append(RedisCommand("SADD", keys.queues, queue))
            commands.append(RedisCommand(["LPUSH", keys.queue(queue)] + (plain[queue] ?? [])))
        }
        try Self.checkAll(try await pool.pipeline(commands), of: commands)
    }

    public func schedule(_ job: Job, at date: Date) async throws {
        try await schedule([job], at: date)
    }

    /// Schedules the jobs with one command each, all in one pipeline with concurrent fetches and
    /// acknowledgements.
    public func schedule(_ jobs: [Job], at date: Date) async throws {
        guard !jobs.isEmpty else { return }
        let score = Self.score(date)
        let delay = Duration.seconds(max(0, date.timeIntervalSince(clock.now())))
        let commands = jobs.map { job -> RedisCommand in
            let payload = Self.serialize(job)
            guard let uniqueKey = SidekiqJobJSON.uniqueKey(of: job) else {
                return RedisCommand("ZADD", keys.schedule, score, payload)
            }
            return .evaluate(
                RedisQueueScripts.scheduleUnique, keys: [keys.unique(uniqueKey), keys.schedule],
                arguments: [score, payload, Self.milliseconds(delay + settings.uniqueClaimExpiry)])
        }
        try Self.checkAll(try await batcher.send(commands), of: commands)
    }

    // MARK: - Finishing a job

    public func requeue(_ job: ReservedJob) async throws {
        var scriptKeys = [keys.inProgress(identity), keys.queues, keys.queue(job.job.queue)]
        if let uniqueKey = SidekiqJobJSON.uniqueKey(of: job.job) { scriptKeys.append(keys.unique(uniqueKey)) }
        try await takeOutOfProgress(job.payload) {
            _ = try await pool.evaluate(
                RedisQueueScripts.requeue, keys: scriptKeys,
                arguments: [job.payload, job.job.queue, Self.milliseconds(settings.uniqueClaimExpiry)])
        }
    }

    public func retry(_ job: ReservedJob, as updated: Job, at date: Date) async throws {
        try await takeOutOfProgress(job.payload) {
            _ = try await pool.evaluate(
                RedisQueueScripts.moveToSortedSet, keys: [keys.inProgress(identity), keys.retry],
                arguments: [job.payload, Self.score(date), Self.serialize(updated)])
        }
    }

    public func bury(_ job: ReservedJob, as updated: Job) async throws {
        try await takeOutOfProgress(job.payload) {
            try await bury(payload: job.payload, as: Self.serialize(updated))
        }
    }

    /// Runs `move`, which takes an unfinished job out of the in-progress list, and ends the job's
    /// hold. When `move` throws, the job may still be in the list, so the list is marked for
    /// reconciliation, which pushes the job back to its queue if it is there. Otherwise the job
    /// would stay in the list until the process stops, because `JobRunner` does not try again.
    private func takeOutOfProgress(_ payload: String, by move: () async throws -> Void) async throws {
        do {
            try await move()
        } catch {
            state.withLock { $0.ledger.abandon(payload) }
            throw error
        }
        state.withLock { $0.ledger.release(payload) }
    }

    /// Moves `payload` from the in-progress list to the dead set as `buried`, trimming the set. The
    /// caller ends the payload's hold.
    func bury(payload: String, as buried: String) async throws {
        let now = clock.now()
        _ = try await pool.evaluate(
            RedisQueueScripts.moveToSortedSet, keys: [keys.inProgress(identity), keys.dead],
            arguments: [
                payload, Self.score(now), buried,
                Self.score(now.addingTimeInterval(-settings.deadTimeout.timeInterval)),
                String(settings.deadMaximumJobs),
            ])
    }

    // MARK: - Encoding

    static func serialize(_ job: Job) -> String {
        SidekiqJobJSON.payload(of: job)
    }

    /// A sorted-set score: seconds since 1970 with a fraction, as Sidekiq writes them.
    static func score(_ date: Date) -> String {
        String(date.timeIntervalSince1970)
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(max(1, Int64((duration.timeInterval * 1000).rounded(.up))))
    }

    /// Throws the first error reply of a pipeline.
    static func checkAll(_ replies: [RedisReply], of commands: [RedisCommand]) throws {
        for (reply, command) in zip(replies, commands) {
            _ = try RedisConnection.checked(reply, command: command.name)
        }
    }
}
