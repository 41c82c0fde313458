import Foundation
import LogsCore

extension RedisJobQueue {
    /// The maximum number of members read from a sorted set per promotion round trip.
    static let promotionBatchSize = 100

    /// Moves every due job of `schedule` and `retry` to its queue, setting `enqueued_at`.
    ///
    /// Each batch is read, then moved by one script that pushes a member only if it removed it,
    /// so a job is never pushed twice when several processes promote at once.
    ///
    /// - Returns: how many jobs were moved.
    @discardableResult
    public func promoteDueJobs() async throws -> Int {
        var moved = 0
        for set in [keys.schedule, keys.retry] {
            while true {
                let now = clock.now()
                let reply = try await pool.send(
                    "ZRANGEBYSCORE", set, "-inf", Self.score(now), "LIMIT", "0", String(Self.promotionBatchSize))
                let members = reply.arrayValue?.compactMap(\.stringValue) ?? []
                if members.isEmpty { break }
                var arguments = [keys.prefix, Self.score(now)]
                for member in members {
                    arguments += promotionTriple(member, now: now)
                }
                let count = try await pool.evaluate(
                    RedisQueueScripts.promote, keys: [set, keys.queues, keys.dead], arguments: arguments)
                moved += Int(count.integerValue ?? 0)
                if members.count < Self.promotionBatchSize { break }
            }
        }
        if moved > 0 { logger.debug("moved due jobs to their queues", metadata: ["count": "\(moved)"]) }
        return moved
    }

    /// Returns the member, the job to push with `enqueued_at` set to `now`, and its queue name. For
    /// a member that is not a job, returns the member, its dead-set entry and an empty queue name.
    private func promotionTriple(_ member: String, now: Date) -> [String] {
        var job: Job
        do {
            job = try SidekiqJobJSON.job(from: member)
        } catch {
            logger.error(
                "scheduled job is not a valid Sidekiq job; moved to the dead set", metadata: ["error": "\(error)"])
            return [member, Job.deadEntry(forUnreadable: member, queue: nil, error: error, at: now), ""]
        }
        job.enqueuedAt = now.timeIntervalSince1970
        return [member, Self.serialize(job), job.queue]
    }

    /// Promotes due jobs and recovers dead processes' jobs when their jittered times have come.
    /// Before that, reconciles this process's in-progress list when a failed fetch marked it.
    /// Only one caller at a time does the work; the others go on fetching.
    func maintainIfDue() async throws {
        let now = ContinuousClock.now
        let due = state.withLock { state -> (promote: Bool, recover: Bool, reconcile: Bool) in
            guard !state.isPromoting else { return (false, false, false) }
            let promote = state.nextPromotion.map { $0 <= now } ?? true
            let recover = state.nextRecovery.map { $0 <= now } ?? true
            let reconcile = (state.nextReconciliation.map { $0 <= now } ?? true) && state.ledger.startReconciliation()
            if promote || recover || reconcile { state.isPromoting = true }
            if promote { state.nextPromotion = now + Self.jittered(settings.promotionInterval) }
            if recover { state.nextRecovery = now + Self.jittered(settings.recoveryInterval) }
            return (promote, recover, reconcile)
        }
        guard due.promote || due.recover || due.reconcile else { return }
        defer { state.withLock { $0.isPromoting = false } }
        if due.reconcile { await reconcileOrPostpone() }
        if due.recover { try await recoverDeadProcesses() }
        if due.promote { try await promoteDueJobs() }
    }

    /// Reconciles the in-progress list. A failure is logged and not thrown, and the next attempt
    /// waits for `Settings.recoveryInterval`, so that a failure that repeats, such as a missing
    /// permission, holds back neither fetches nor scheduled jobs.
    private func reconcileOrPostpone() async {
        do {
            try await reconcileInProgressList()
        } catch is CancellationError {
            return
        } catch {
            state.withLock { $0.nextReconciliation = .now + settings.recoveryInterval }
            logger.warning(
                "pushing back jobs left in the in-progress list failed; retrying later",
                metadata: [
                    "identity": "\(identity)", "error": "\(error)",
                    "retry_in_seconds": "\(settings.recoveryInterval.timeInterval)",
                ])
        }
    }

    /// Returns a duration drawn evenly between half and one and a half times `interval`.
    static func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.5...1.5)
    }
}
