import Foundation
import LogsCore

extension RedisJobQueue {
    /// Takes the next job, moving it into this process's in-progress list.
    ///
    /// Starts the heartbeat on first use, moves due scheduled and retry jobs every
    /// `Settings.promotionInterval` with jitter, then tries the queues in an order drawn by
    /// weight. With nothing waiting it blocks on one queue at a time, for at most
    /// `Settings.maximumBlock` each, until `timeout` passes.
    public func reserve(from queues: [WeightedQueue], timeout: Duration) async throws -> ReservedJob? {
        guard !queues.isEmpty else { return nil }
        try await startIfNeeded()
        state.withLock { $0.lastReservedQueues = queues }
        let deadline = ContinuousClock.now + timeout
        var blockingIndex = 0
        while true {
            try Task.checkCancellation()
            try await maintainIfDue()
            let order = Self.fetchOrder(queues)
            if let reserved = try await fetchFirst(of: order) { return reserved }

            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining >= .milliseconds(10) else { return nil }
            // A blocking read watches one queue only, so with several queues each read is short
            // and the next one watches the next queue.
            let slice = queues.count == 1 ? settings.maximumBlock : settings.maximumBlock / 4
            let queue = order[blockingIndex % order.count]
            blockingIndex += 1
            if let reserved = try await blockingFetch(from: queue, for: min(remaining, slice)) { return reserved }
        }
    }

    /// Takes a prefetched job or, when none of `order`'s queues has one, up to
    /// `Settings.prefetch` jobs with one script call, keeping all but the first for later calls.
    /// The call shares its round trip with concurrent fetches and acknowledgements.
    private func fetchFirst(of order: [String]) async throws -> ReservedJob? {
        while true {
            switch takePrefetchedOrStartFetch(from: order) {
            case .prefetched(let queue, let payload):
                if let reserved = try await reserved(payload, from: queue) { return reserved }
            case .fetch(let token):
                let command = fetchCommand(order)
                let reply: RedisReply
                do {
                    reply = try RedisConnection.checked(try await batcher.send(command), command: command.name)
                } catch {
                    // Even after an error reply the script may have moved jobs, because Redis keeps
                    // what a script wrote before an error.
                    failFetch(token)
                    throw error
                }
                let taken = Self.takenJobs(from: reply, order: order)
                endFetch(token, taken: taken, handsOutFirst: true)
                guard let first = taken.first else { return nil }
                if let reserved = try await reserved(first.payload, from: first.queue) { return reserved }
            }
        }
    }

    /// Returns the fetch script call that takes up to `Settings.prefetch` jobs from `order`'s queues.
    func fetchCommand(_ order: [String]) -> RedisCommand {
        .evaluate(
            RedisQueueScripts.fetch, keys: [keys.inProgress(identity)] + order.map(keys.queue),
            arguments: [String(max(1, settings.prefetch))])
    }

    /// Reads the fetch script's `{queue index, job, ...}` reply into queue names and payloads.
    static func takenJobs(from reply: RedisReply, order: [String]) -> [(queue: String, payload: String)] {
        let parts = reply.arrayValue ?? []
        var taken: [(queue: String, payload: String)] = []
        for index in stride(from: 0, to: parts.count - 1, by: 2) {
            guard let position = parts[index].integerValue, order.indices.contains(Int(position) - 1),
                let payload = parts[index + 1].stringValue
            else { continue }
            taken.append((order[Int(position) - 1], payload))
        }
        return taken
    }

    private enum PrefetchedOrFetch {
        case prefetched(queue: String, payload: String)
        case fetch(InProgressLedger.FetchToken)
    }

    /// Takes a prefetched job of one of `order`'s queues or, when there is none, records the start
    /// of a fetch, under one lock.
    private func takePrefetchedOrStartFetch(from order: [String]) -> PrefetchedOrFetch {
        state.withLock { state -> PrefetchedOrFetch in
            guard let index = state.prefetched.firstIndex(where: { order.contains($0.queue) }) else {
                return .fetch(state.ledger.startFetch())
            }
            let (queue, payload) = state.prefetched.remove(at: index)
            return .prefetched(queue: queue, payload: payload)
        }
    }

    private func blockingFetch(from queue: String, for duration: Duration) async throws -> ReservedJob? {
        let seconds = String(format: "%.3f", duration.timeInterval)
        let token = startFetch()
        let reply: RedisReply
        do {
            reply = try await pool.send("BRPOPLPUSH", keys.queue(queue), keys.inProgress(identity), seconds)
        } catch let error as RedisError where error.code == .serverError {
            // BRPOPLPUSH moves nothing when it returns an error reply.
            endFetch(token, taken: [], handsOutFirst: true)
            throw error
        } catch {
            failFetch(token)
            throw error
        }
        guard let payload = reply.stringValue else {
            endFetch(token, taken: [], handsOutFirst: true)
            return nil
        }
        endFetch(token, taken: [(queue, payload)], handsOutFirst: true)
        return try await reserved(payload, from: queue)
    }

    /// Reads a job taken from `queue` as `readReserved(_:from:)` does. When that fails, the job
    /// stays in the in-progress list without a holder, so the list is marked for reconciliation.
    private func reserved(_ payload: String, from queue: String) async throws -> ReservedJob? {
        do {
            return try await readReserved(payload, from: queue)
        } catch {
            state.withLock { $0.ledger.abandon(payload) }
            throw error
        }
    }

    /// Reads a job taken from `queue` and releases its unique claim. A payload that is not a job
    /// goes to the dead set as the entry `Job.deadEntry(forUnreadable:queue:error:at:)` makes, and
    /// returns nil.
    private func readReserved(_ payload: String, from queue: String) async throws -> ReservedJob? {
        let job: Job
        do {
            job = try SidekiqJobJSON.job(from: payload)
        } catch {
            logger.error(
                "queued job is not a valid Sidekiq job; moved to the dead set",
                metadata: ["queue": "\(queue)", "error": "\(error)"])
            let entry = Job.deadEntry(forUnreadable: payload, queue: queue, error: error, at: clock.now())
            try await bury(payload: payload, as: entry)
            state.withLock { $0.ledger.release(payload) }
            return nil
        }
        if let uniqueKey = SidekiqJobJSON.uniqueKey(of: job) {
            let command = RedisCommand("DEL", keys.unique(uniqueKey))
            _ = try RedisConnection.checked(try await batcher.send(command), command: command.name)
        }
        return ReservedJob(job: job, payload: payload)
    }

    /// Orders queue names at random, each as likely to come first as its weight sets, as
    /// Sidekiq's weighted fetch does: every name is repeated `weight` times, shuffled, and
    /// only its first place is kept.
    static func fetchOrder(_ queues: [WeightedQueue]) -> [String] {
        if queues.count == 1 { return [queues[0].name] }
        var tickets: [String] = []
        for queue in queues {
            tickets.append(contentsOf: repeatElement(queue.name, count: max(1, queue.weight)))
        }
        var seen = Set<String>()
        return tickets.shuffled().filter { seen.insert($0).inserted }
    }
}
