import Foundation

/// A queue name and its weight when a worker takes jobs from several queues.
public struct WeightedQueue: Sendable, Hashable {
    public var name: String
    public var weight: Int

    public init(_ name: String, weight: Int = 1) {
        self.name = name
        self.weight = weight
    }
}

/// A job taken by a worker, held in that worker's in-progress list until it is acknowledged,
/// retried or handed back.
public struct ReservedJob: Sendable, Hashable {
    public var job: Job
    /// The exact JSON taken from the queue, which identifies the job in the in-progress list.
    public var payload: String

    public init(job: Job, payload: String) {
        self.job = job
        self.payload = payload
    }
}

/// Named job queues in Sidekiq's model: immediate queues, a schedule, a retry set, a dead set, and
/// reliable fetch.
///
/// Implementations: `InMemoryJobQueue` here, and the Redis queue in LogsTransport, which stores
/// the same JSON.
public protocol JobQueue: Sendable {
    /// Pushes jobs to their queues at once. A unique job whose key is already waiting is skipped.
    func push(_ jobs: [Job]) async throws

    /// Makes a job due at `date`. A unique job whose key is already waiting is skipped.
    func schedule(_ job: Job, at date: Date) async throws

    /// Makes jobs due at `date`, in one round trip where the queue can, as `schedule(_:at:)` does
    /// for each. When it throws, some of the jobs may have been scheduled.
    func schedule(_ jobs: [Job], at date: Date) async throws

    /// Takes the next job from the given queues, waiting up to `timeout` for one.
    ///
    /// Due scheduled and retry jobs are moved to their queues first. Queues are tried in an
    /// order drawn at random by weight, as Sidekiq does. The job stays in this process's
    /// in-progress list until `acknowledge`, `retry`, `bury` or `requeue`.
    func reserve(from queues: [WeightedQueue], timeout: Duration) async throws -> ReservedJob?

    /// Removes a finished job from the in-progress list.
    func acknowledge(_ job: ReservedJob) async throws

    /// Removes finished jobs from the in-progress list, in one round trip where the queue can.
    /// When it throws, some of the jobs may have been removed, and removing them again is safe.
    func acknowledge(_ jobs: [ReservedJob]) async throws

    /// Starts removing finished jobs from the in-progress list, as `acknowledge(_:)` of a list
    /// does, and returns without waiting. `completion` gets nil once they are removed, or the
    /// error, and runs on a thread of the queue's choice, so it must not block.
    ///
    /// The default implementation calls `acknowledge(_:)` in a task of its own. A queue can send
    /// the acknowledgement with other work instead, so that it costs no task of its own.
    func startAcknowledging(_ jobs: [ReservedJob], completion: @escaping @Sendable ((any Error)?) -> Void)

    /// Puts a job back at the front of its queue, unchanged (on shutdown).
    func requeue(_ job: ReservedJob) async throws

    /// Moves a failed job to the retry set, due at `date`, as `updated`.
    func retry(_ job: ReservedJob, as updated: Job, at date: Date) async throws

    /// Moves a job whose retries are used up to the dead set, as `updated`.
    func bury(_ job: ReservedJob, as updated: Job) async throws
}

extension JobQueue {
    public func push(_ job: Job) async throws {
        try await push([job])
    }

    /// Schedules the jobs one after another.
    public func schedule(_ jobs: [Job], at date: Date) async throws {
        for job in jobs {
            try await schedule(job, at: date)
        }
    }

    /// Acknowledges the jobs one after another.
    public func acknowledge(_ jobs: [ReservedJob]) async throws {
        for job in jobs {
            try await acknowledge(job)
        }
    }

    /// Calls `acknowledge(_:)` in a detached task, so that the caller's cancellation does not
    /// reach it.
    public func startAcknowledging(
        _ jobs: [ReservedJob], completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        Task.detached {
            do {
                try await acknowledge(jobs)
                completion(nil)
            } catch {
                completion(error)
            }
        }
    }
}
