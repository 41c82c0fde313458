/// The jobs of this process's in-progress list that a holder accounts for, and the fetches whose
/// jobs are not accounted for yet.
///
/// `RedisJobQueue` keeps it under its state lock. A job is held from the moment its fetch's reply
/// is read until an acknowledgement, retry, bury or requeue of it succeeds, whether `reserve`
/// handed it out, keeps it prefetched in memory, or is still reading it. When a fetch fails after
/// Redis may have moved jobs, the list is marked uncertain. The next reconciliation then reads the
/// list and pushes back exactly the entries that no holder accounts for.
///
/// A job whose retry, bury or requeue fails is abandoned, so the next reconciliation pushes it
/// back if it is still in the list.
///
/// NOTE: A job whose acknowledgement fails for good stays held, so it stays in the list until
/// `close()` or another process's recovery pushes it back. It finished, so it then runs again.
struct InProgressLedger {
    /// Identifies a fetch from its start to its end, and whether it started before the latest
    /// snapshot of the list was read.
    struct FetchToken {
        fileprivate let epoch: UInt64
    }

    /// A reconciliation waiting for fetches to end.
    typealias Waiter = CheckedContinuation<Void, Never>

    /// How many times each payload is held. The same payload can be in the list more than once.
    private var holdCounts: [String: Int] = [:]
    /// Whether a failed fetch may have left entries that no holder accounts for.
    private(set) var isUncertain = false
    /// Whether a reconciliation is running. Only one runs at a time.
    private(set) var isReconciling = false
    /// The payloads released since the running reconciliation started. Its snapshot can still
    /// contain them, and a fetch can take the same payload again after a requeue.
    private var releasedDuringReconciliation: [String: Int] = [:]
    /// The number of snapshots read so far. A fetch's token records it, which shows whether the
    /// fetch started before the latest snapshot.
    private var epoch: UInt64 = 0
    /// Fetches that started after the latest snapshot was read and have not ended.
    private var fetchesInFlight = 0
    /// Fetches that started before the latest snapshot was read and have not ended. Their jobs
    /// can be in the snapshot without being held yet.
    private var earlierFetchesInFlight = 0
    /// The reconciliation waiting for `earlierFetchesInFlight` to reach zero.
    private var snapshotWaiter: Waiter?

    /// Records a fetch that is about to be sent.
    mutating func startFetch() -> FetchToken {
        fetchesInFlight += 1
        return FetchToken(epoch: epoch)
    }

    /// Records the end of a fetch and counts the payloads it took as held. Returns the
    /// reconciliation to resume, outside the lock, when this was the last fetch it waited for.
    mutating func endFetch(_ token: FetchToken, taking payloads: some Sequence<String>) -> Waiter? {
        for payload in payloads { holdCounts[payload, default: 0] += 1 }
        if token.epoch == epoch {
            fetchesInFlight -= 1
            return nil
        }
        earlierFetchesInFlight -= 1
        guard earlierFetchesInFlight == 0 else { return nil }
        defer { snapshotWaiter = nil }
        return snapshotWaiter
    }

    /// Records the end of a fetch that failed after Redis may have moved jobs, and marks the list
    /// uncertain. Returns the reconciliation to resume, as `endFetch(_:taking:)` does.
    mutating func failFetch(_ token: FetchToken) -> Waiter? {
        isUncertain = true
        return endFetch(token, taking: [])
    }

    /// Ends one hold of `payload`, after its job left the list or was handed back.
    mutating func release(_ payload: String) {
        guard dropHold(of: payload) else { return }
        if isReconciling { releasedDuringReconciliation[payload, default: 0] += 1 }
    }

    /// Ends one hold of `payload` whose job may stay in the list with no task to finish it, and
    /// marks the list uncertain, so that the next reconciliation pushes the job back if it is there.
    mutating func abandon(_ payload: String) {
        _ = dropHold(of: payload)
        isUncertain = true
    }

    private mutating func dropHold(of payload: String) -> Bool {
        guard let count = holdCounts[payload] else { return false }
        holdCounts[payload] = count > 1 ? count - 1 : nil
        return true
    }

    /// Starts a reconciliation and clears the uncertain mark. Returns false when the list is not
    /// uncertain or a reconciliation is already running.
    mutating func startReconciliation() -> Bool {
        guard isUncertain, !isReconciling else { return false }
        isUncertain = false
        isReconciling = true
        return true
    }

    /// Records that the reconciliation read its snapshot of the list. Any fetch that has not ended
    /// by now may have moved jobs into the snapshot. Returns whether such a fetch is in flight.
    mutating func markSnapshotRead() -> Bool {
        earlierFetchesInFlight += fetchesInFlight
        fetchesInFlight = 0
        epoch &+= 1
        return earlierFetchesInFlight > 0
    }

    /// Stores `continuation` to be resumed when the last fetch that started before the snapshot
    /// ends. Returns false, without storing it, when none is in flight.
    mutating func waitForEarlierFetches(_ continuation: Waiter) -> Bool {
        guard earlierFetchesInFlight > 0 else { return false }
        snapshotWaiter = continuation
        return true
    }

    /// Removes and returns the waiting reconciliation, for cancellation or `close()`.
    mutating func takeSnapshotWaiter() -> Waiter? {
        defer { snapshotWaiter = nil }
        return snapshotWaiter
    }

    /// Returns the entries of `snapshot`, in its order, that no holder accounts for.
    ///
    /// Call it only after every fetch that started before the snapshot was read has ended, so
    /// that their jobs are held. A payload released since the reconciliation started is counted
    /// as held too, because its entry may have left the list after the snapshot, and a later
    /// fetch may have put the same payload back.
    func orphans(in snapshot: [String]) -> [String] {
        var accounted = holdCounts.merging(releasedDuringReconciliation, uniquingKeysWith: +)
        var orphans: [String] = []
        for payload in snapshot {
            if let count = accounted[payload], count > 0 {
                accounted[payload] = count - 1
            } else {
                orphans.append(payload)
            }
        }
        return orphans
    }

    /// Ends the running reconciliation. One that did not finish marks the list uncertain again.
    mutating func endReconciliation(succeeded: Bool) {
        isReconciling = false
        releasedDuringReconciliation.removeAll()
        if !succeeded { isUncertain = true }
    }
}
