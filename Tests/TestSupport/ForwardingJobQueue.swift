import Foundation
import LogsCore

/// A job queue test double that passes every call on to `base`. A double implements only the
/// calls it changes, such as a push that fails or an acknowledgement that loses its reply.
public protocol ForwardingJobQueue: JobQueue {
    var base: any JobQueue { get }
}

extension ForwardingJobQueue {
    public func push(_ jobs: [Job]) async throws {
        try await base.push(jobs)
    }

    public func schedule(_ job: Job, at date: Date) async throws {
        try await base.schedule(job, at: date)
    }

    public func reserve(from queues: [WeightedQueue], timeout: Duration) async throws -> ReservedJob? {
        try await base.reserve(from: queues, timeout: timeout)
    }

    public func acknowledge(_ job: ReservedJob) async throws {
        try await base.acknowledge(job)
    }

    public func requeue(_ job: ReservedJob) async throws {
        try await base.requeue(job)
    }

    public func retry(_ job: ReservedJob, as updated: Job, at date: Date) async throws {
        try await base.retry(job, as: updated, at: date)
    }

    public func bury(_ job: ReservedJob, as updated: Job) async throws {
        try await base.bury(job, as: updated)
    }
}
