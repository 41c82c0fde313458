import Foundation

/// A `JobQueue` in memory that stores every job as the same JSON the Redis queue stores, so a job
/// that cannot be serialized or read back fails here too.
public actor InMemoryJobQueue: JobQueue {
    private let clock: any LogsClock
    private var queues: [String: [String]] = [:]
    private var scheduled: [(due: Date, payload: String)] = []
    private var retries: [(due: Date, payload: String)] = []
    private var dead: [String] = []
    private var inProgress: [String] = []
    /// The jid of the waiting job that owns each unique key.
    private var uniqueKeyHolders: [String: String] = [:]
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    public init(clock: any LogsClock = SystemClock()) {
        self.clock = clock
    }

    // MARK: - Inspection, for tests and the dev dashboard

    /// The jobs waiting in a queue, oldest first.
    public func jobs(in queue: String) -> [Job] {
        (queues[queue] ?? []).compactMap { try? Job(jsonData: Data($0.utf8)) }
    }

    /// The raw JSON of the jobs waiting in a queue, oldest first.
    public func payloads(in queue: String) -> [String] {
        queues[queue] ?? []
    }

    public func scheduledJobs() -> [(due: Date, job: Job)] {
        scheduled.compactMap { entry in (try? Job(jsonData: Data(entry.payload.utf8))).map { (entry.due, $0) } }
    }

    public func retryJobs() -> [(due: Date, job: Job)] {
        retries.compactMap { entry in (try? Job(jsonData: Data(entry.payload.utf8))).map { (entry.due, $0) } }
    }

    public func deadJobs() -> [Job] {
        dead.compactMap { try? Job(jsonData: Data($0.utf8)) }
    }

    public func inProgressCount() -> Int {
        inProgress.count
    }

    /// Whether nothing is queued, scheduled, retrying or running.
    public func isIdle() -> Bool {
        queues.values.allSatisfy(\.isEmpty) && scheduled.isEmpty && retries.isEmpty && inProgress.isEmpty
    }

    // MARK: - JobQueue

    public func push(_ jobs: [Job]) {
        for job in jobs where claimUniqueKey(of: job) {
            var enqueued = job
            enqueued.enqueuedAt = clock.now().timeIntervalSince1970
            queues[job.queue, default: []].append(Self.serialize(enqueued))
        }
        wakeWaiters()
    }

    public func schedule(_ job: Job, at date: Date) {
        guard claimUniqueKey(of: job) else { return }
        scheduled.append((date, Self.serialize(job)))
    }

    public func reserve(from queues: [WeightedQueue], timeout: Duration) async throws -> ReservedJob? {
        let deadline = clock.now().addingTimeInterval(timeout.timeInterval)
        while true {
            try Task.checkCancellation()
            promoteDueJobs()
            if let reserved = takeNext(from: queues) { return reserved }
            let remaining = deadline.timeIntervalSince(clock.now())
            if remaining <= 0 { return nil }
            await waitForPush(upTo: .milliseconds(Int64(min(remaining, 1) * 1000)))
        }
    }

    public func acknowledge(_ job: ReservedJob) {
        removeFromInProgress(job)
    }

    public func requeue(_ job: ReservedJob) {
        removeFromInProgress(job)
        queues[job.job.queue, default: []].insert(job.payload, at: 0)
        holdUniqueKeyIfFree(of: job.job)
        wakeWaiters()
    }

    public func retry(_ job: ReservedJob, as updated: Job, at date: Date) {
        removeFromInProgress(job)
        retries.append((date, Self.serialize(updated)))
    }

    public func bury(_ job: ReservedJob, as updated: Job) {
        removeFromInProgress(job)
        dead.append(Self.serialize(updated))
    }

    /// Moves every job left in progress back to its queue, as a new process does for the
    /// in-progress list of a dead one.
    public func recoverInProgress() {
        for payload in inProgress.reversed() {
            guard let job = try? Job(jsonData: Data(payload.utf8)) else { continue }
            queues[job.queue, default: []].insert(payload, at: 0)
            holdUniqueKeyIfFree(of: job)
        }
        inProgress.removeAll()
        wakeWaiters()
    }

    // MARK: - Internals

    private static func serialize(_ job: Job) -> String {
        String(decoding: job.jsonData(), as: UTF8.self)
    }

    private func claimUniqueKey(of job: Job) -> Bool {
        guard let key = job.uniqueKey else { return true }
        guard uniqueKeyHolders[key] == nil else { return false }
        uniqueKeyHolders[key] = job.jid
        return true
    }

    /// Lets a job that waits again (requeued or recovered) hold its key, unless another copy does.
    private func holdUniqueKeyIfFree(of job: Job) {
        guard let key = job.uniqueKey, uniqueKeyHolders[key] == nil else { return }
        uniqueKeyHolders[key] = job.jid
    }

    /// Frees a unique key when the job taken is the copy holding it.
    private func releaseUniqueKey(of job: Job) {
        guard let key = job.uniqueKey, uniqueKeyHolders[key] == job.jid else { return }
        uniqueKeyHolders[key] = nil
    }

    private func promoteDueJobs() {
        let now = clock.now()
        let due = (scheduled.filter { $0.due <= now } + retries.filter { $0.due <= now }).sorted { $0.due < $1.due }
        guard !due.isEmpty else { return }
        scheduled.removeAll { $0.due <= now }
        retries.removeAll { $0.due <= now }
        for entry in due {
            var job: Job
            do {
                job = try Job(jsonData: Data(entry.payload.utf8))
            } catch {
                dead.append(Job.deadEntry(forUnreadable: entry.payload, queue: nil, error: error, at: now))
                continue
            }
            job.enqueuedAt = now.timeIntervalSince1970
            queues[job.queue, default: []].append(Self.serialize(job))
        }
    }

    private func takeNext(from wanted: [WeightedQueue]) -> ReservedJob? {
        for name in Self.fetchOrder(wanted) {
            guard var list = queues[name], !list.isEmpty else { continue }
            let payload = list.removeFirst()
            queues[name] = list
            let job: Job
            do {
                job = try Job(jsonData: Data(payload.utf8))
            } catch {
                dead.append(Job.deadEntry(forUnreadable: payload, queue: name, error: error, at: clock.now()))
                continue
            }
            releaseUniqueKey(of: job)
            inProgress.append(payload)
            return ReservedJob(job: job, payload: payload)
        }
        return nil
    }

    /// Orders queues at random, each as likely to come first as its weight gives, as Sidekiq's
    /// weighted fetch does.
    static func fetchOrder(_ queues: [WeightedQueue]) -> [String] {
        var tickets: [String] = []
        for queue in queues {
            tickets.append(contentsOf: repeatElement(queue.name, count: max(1, queue.weight)))
        }
        var seen = Set<String>()
        return tickets.shuffled().filter { seen.insert($0).inserted }
    }

    private func removeFromInProgress(_ job: ReservedJob) {
        if let index = inProgress.firstIndex(of: job.payload) { inProgress.remove(at: index) }
    }

    private func waitForPush(upTo timeout: Duration) async {
        let id = UUID()
        let clock = self.clock
        Task { [weak self] in
            try? await clock.sleep(for: timeout)
            await self?.wake(id)
        }
        await withCheckedContinuation { continuation in
            waiters[id] = continuation
        }
    }

    private func wake(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume()
    }

    private func wakeWaiters() {
        let current = waiters
        waiters.removeAll()
        for continuation in current.values { continuation.resume() }
    }
}
