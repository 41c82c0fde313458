import Foundation
import LogsCore

extension RedisJobQueue {
    /// Removes the job from the in-progress list with `LREM`, in one pipeline with concurrent
    /// acknowledgements and fetches. Returns once the job is out of the list.
    ///
    /// With `Settings.fetchesOnAcknowledge` and no prefetched job left, the same round trip also
    /// runs the fetch script for the queues of the latest `reserve`. So the worker's next
    /// `reserve` usually finds its job in memory and waits for no round trip of its own.
    public func acknowledge(_ job: ReservedJob) async throws {
        try await acknowledge([job])
    }

    /// Removes the jobs from the in-progress list with one `LREM` each, all in one pipeline with
    /// concurrent acknowledgements and fetches, as `acknowledge(_:)` of one job does.
    public func acknowledge(_ jobs: [ReservedJob]) async throws {
        guard !jobs.isEmpty else { return }
        let acknowledgement = makeAcknowledgement(jobs)
        let replies: Result<[RedisReply], any Error>
        do {
            replies = .success(try await batcher.send(acknowledgement.commands))
        } catch {
            replies = .failure(error)
        }
        try finish(acknowledgement, replies: replies)
    }

    /// Removes the jobs from the in-progress list as `acknowledge(_:)` does, in the pipeline of the
    /// next fetch or other command that a caller waits for, or alone after at most 2 ms. So a
    /// worker that acknowledges in the background and then reserves its next job wakes the
    /// connection's thread once for both. `completion` runs on the connection's thread.
    public func startAcknowledging(
        _ jobs: [ReservedJob], completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        guard !jobs.isEmpty else { return completion(nil) }
        let acknowledgement = makeAcknowledgement(jobs)
        batcher.submit(acknowledgement.commands, waitsForCompany: true) { replies in
            do {
                try self.finish(acknowledgement, replies: replies)
                completion(nil)
            } catch {
                completion(error)
            }
        }
    }

    /// The commands of an acknowledgement: one `LREM` per job, then the fetch it carries, if any.
    private struct Acknowledgement: Sendable {
        var jobs: [ReservedJob]
        var commands: [RedisCommand]
        /// The carried fetch's queue order and its token in the ledger.
        var fetch: (order: [String], token: InProgressLedger.FetchToken)?
    }

    private func makeAcknowledgement(_ jobs: [ReservedJob]) -> Acknowledgement {
        var acknowledgement = Acknowledgement(
            jobs: jobs, commands: jobs.map { RedisCommand("LREM", keys.inProgress(identity), "-1", $0.payload) })
        if let fetch = startFetchAhead() {
            acknowledgement.commands.append(fetchCommand(fetch.order))
            acknowledgement.fetch = fetch
        }
        return acknowledgement
    }

    /// Keeps the jobs that the acknowledgement's fetch took, then checks its `LREM` replies and
    /// ends the jobs' holds.
    ///
    /// The taken jobs are kept first, so that an error reply to an `LREM` cannot drop them. An
    /// acknowledgement with any error reply ends no hold, because the caller retries the whole
    /// list, and a second release of one payload would drop another holder's count of it.
    private func finish(_ acknowledgement: Acknowledgement, replies result: Result<[RedisReply], any Error>) throws {
        let replies: [RedisReply]
        do {
            replies = try result.get()
        } catch {
            if let fetch = acknowledgement.fetch { failFetch(fetch.token) }
            throw error
        }
        let count = acknowledgement.jobs.count
        if let fetch = acknowledgement.fetch {
            if case .error = replies[count] {
                // The error is not thrown, because the acknowledgement succeeded: the next
                // `reserve` runs the fetch again and throws that error to its caller. Redis keeps
                // what a script wrote before an error, so the script may have moved jobs.
                failFetch(fetch.token)
            } else {
                endFetch(
                    fetch.token, taken: Self.takenJobs(from: replies[count], order: fetch.order), handsOutFirst: false)
            }
        }
        try Self.checkAll(Array(replies[..<count]), of: acknowledgement.commands)
        state.withLock { state in
            for job in acknowledgement.jobs { state.ledger.release(job.payload) }
        }
    }

    /// Starts the fetch an acknowledgement carries and returns its queue order and token. Returns
    /// nil when the setting is off, no `reserve` came first, jobs are still prefetched or the queue
    /// is closed.
    private func startFetchAhead() -> (order: [String], token: InProgressLedger.FetchToken)? {
        guard settings.fetchesOnAcknowledge else { return nil }
        let started = state.withLock { state -> ([WeightedQueue], InProgressLedger.FetchToken)? in
            guard !state.isClosed, state.prefetched.isEmpty, let queues = state.lastReservedQueues else { return nil }
            return (queues, state.ledger.startFetch())
        }
        guard let (queues, token) = started else { return nil }
        return (Self.fetchOrder(queues), token)
    }
}
