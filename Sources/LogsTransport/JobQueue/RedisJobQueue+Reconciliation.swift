import Foundation
import LogsCore

extension RedisJobQueue {
    /// Pushes back the entries of this process's in-progress list that no holder accounts for.
    /// Such entries are left by a fetch that Redis ran but whose reply never arrived, by a
    /// `reserve` that failed after its fetch, or by a retry, bury or requeue that failed.
    /// `maintainIfDue` calls this in the first `reserve` after such a failure.
    ///
    /// The list is read with `LRANGE`. Fetches still in flight at that moment may have moved jobs
    /// into the list that no task holds yet, so the reconciliation waits for them to end. It then
    /// removes each entry that no holder accounts for with one `LREM` of count 1, in the script
    /// that pushes it back. A held copy of the same payload stays in the list.
    ///
    /// NOTE: A fetch that Redis runs only after the client gave up on it, for example after a
    /// timeout while the command was still on its way, can move jobs after the list was read.
    /// Those jobs stay in the list until `close()`.
    ///
    /// - Throws: the `RedisError` of a failed round trip, or `CancellationError`. The list stays
    ///   marked uncertain, so a later `reserve` tries again.
    func reconcileInProgressList() async throws {
        var succeeded = false
        defer { state.withLock { $0.ledger.endReconciliation(succeeded: succeeded) } }
        let command = RedisCommand("LRANGE", keys.inProgress(identity), "0", "-1")
        let reply = try RedisConnection.checked(try await batcher.send(command), command: command.name)
        let snapshot = reply.arrayValue?.compactMap(\.stringValue) ?? []
        if !snapshot.isEmpty {
            if state.withLock({ $0.ledger.markSnapshotRead() }) { await waitForEarlierFetches() }
            try Task.checkCancellation()
            let orphans = state.withLock { $0.ledger.orphans(in: snapshot) }
            if !orphans.isEmpty, !state.withLock({ $0.isClosed }) {
                let count = try await pushBack(orphans)
                if count > 0 {
                    logger.notice(
                        "pushed back jobs left in the in-progress list with no task holding them",
                        metadata: ["identity": "\(identity)", "count": "\(count)"])
                }
            }
        }
        succeeded = true
    }

    /// Waits until every fetch that started before the latest snapshot has ended, or the task is
    /// cancelled, or the queue is closed.
    private func waitForEarlierFetches() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: InProgressLedger.Waiter) in
                let isStored = state.withLock { state -> Bool in
                    guard !Task.isCancelled, !state.isClosed else { return false }
                    return state.ledger.waitForEarlierFetches(continuation)
                }
                if !isStored { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.ledger.takeSnapshotWaiter() }?.resume()
        }
    }

    /// Pushes `orphans` back to the front of their queues, in the list's order, so the oldest
    /// comes first again. Unique jobs claim their keys again, as `requeue` does. A payload that is
    /// not a job goes to the dead set. Returns how many entries were still in the list and moved.
    private func pushBack(_ orphans: [String]) async throws -> Int {
        let now = clock.now()
        var arguments = [keys.prefix, Self.score(now), Self.milliseconds(settings.uniqueClaimExpiry)]
        for payload in orphans {
            do {
                let job = try SidekiqJobJSON.job(from: payload)
                // The script reads an empty queue name as "unreadable" and adds the dead-set entry,
                // so such a job needs one too, as the recovery script gives it.
                guard !job.queue.isEmpty else {
                    throw LogsError(.invalidJob, "queued job has no valid \"queue\" field")
                }
                let uniqueKey = SidekiqJobJSON.uniqueKey(of: job).map(keys.unique) ?? ""
                arguments += [payload, job.queue, uniqueKey, ""]
            } catch {
                logger.error(
                    "job in the in-progress list is not a valid Sidekiq job; moved to the dead set",
                    metadata: ["identity": "\(identity)", "error": "\(error)"])
                let entry = Job.deadEntry(forUnreadable: payload, queue: nil, error: error, at: now)
                arguments += [payload, "", "", entry]
            }
        }
        let reply = try await pool.evaluate(
            RedisQueueScripts.pushBackOrphans, keys: [keys.inProgress(identity), keys.queues, keys.dead],
            arguments: arguments)
        return Int(reply.integerValue ?? 0)
    }

    // MARK: - Fetch bookkeeping

    /// Records a fetch that is about to be sent.
    func startFetch() -> InProgressLedger.FetchToken {
        state.withLock { $0.ledger.startFetch() }
    }

    /// Records the end of a fetch that took `taken`, which are held from now on. With
    /// `handsOutFirst`, the caller hands out the first job itself and the others wait in memory.
    /// Otherwise all of them wait in memory.
    func endFetch(
        _ token: InProgressLedger.FetchToken, taken: [(queue: String, payload: String)], handsOutFirst: Bool
    ) {
        let waiter = state.withLock { state in
            state.prefetched.append(contentsOf: handsOutFirst ? taken.dropFirst() : taken[...])
            return state.ledger.endFetch(token, taking: taken.lazy.map(\.payload))
        }
        waiter?.resume()
    }

    /// Records the end of a fetch that failed in a way that leaves open whether Redis moved jobs.
    func failFetch(_ token: InProgressLedger.FetchToken) {
        state.withLock { $0.ledger.failFetch(token) }?.resume()
    }
}
