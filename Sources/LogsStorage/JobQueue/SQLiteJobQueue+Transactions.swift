import Foundation
import LogsCore

/// The steps of the queue's transactions, run on the connection's thread.
extension SQLiteJobQueue {
    static func serialize(_ job: Job) -> String {
        String(decoding: job.jsonData(), as: UTF8.self)
    }

    /// Microseconds since 1970, the unit of `due_at`.
    static func dueValue(_ date: Date) -> SQLiteValue {
        .integer(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    static func insert(_ job: Job, state: String, due: Date?, on connection: isolated SQLiteConnection) throws {
        try connection.query(
            SQLiteJobQueueStatements.insertWaiting,
            [.text(state), .text(job.queue), .text(serialize(job)), due.map(dueValue) ?? .null])
    }

    /// Claims the job's unique key; returns false when another waiting job holds it. Jobs of
    /// classes that are not unique always get true.
    static func claimUniqueKey(of job: Job, on connection: isolated SQLiteConnection) throws -> Bool {
        guard let key = job.uniqueKey else { return true }
        return try !connection.query(SQLiteJobQueueStatements.claimUniqueKey, [.text(key), .text(job.jid)]).isEmpty
    }

    /// Puts a taken job back at the front of its queue; it holds its unique key again unless
    /// another copy waiting now does.
    static func returnToFront(_ payload: String, of job: Job, on connection: isolated SQLiteConnection) throws {
        try connection.query(SQLiteJobQueueStatements.prependQueued, [.text(job.queue), .text(payload)])
        _ = try claimUniqueKey(of: job, on: connection)
    }

    /// Moves scheduled and retry jobs due by `now` to the end of their queues, in due order, with
    /// `enqueued_at` set to `now`.
    static func promoteDueJobs(at now: Date, on connection: isolated SQLiteConnection) throws {
        let rows = try connection.query(SQLiteJobQueueStatements.dueJobs, [dueValue(now)])
        for row in rows {
            let id = try row.requiredInteger("id")
            let payload = try row.text("payload") ?? ""
            var job: Job
            do {
                job = try Job(jsonData: Data(payload.utf8))
            } catch {
                try markDead(id, payload: payload, queue: nil, error: error, at: now, on: connection)
                continue
            }
            job.enqueuedAt = now.timeIntervalSince1970
            try connection.query(SQLiteJobQueueStatements.deleteByID, [.integer(id)])
            try connection.query(SQLiteJobQueueStatements.appendQueued, [.text(job.queue), .text(serialize(job))])
        }
    }

    /// Takes the first job of the first queue in `order` that has one and marks it in progress.
    /// A payload that is not a valid job goes to the dead set, failed at `now`.
    static func takeNext(from order: [String], at now: Date, on connection: isolated SQLiteConnection) throws
        -> ReservedJob?
    {
        for name in order {
            while let row = try connection.query(SQLiteJobQueueStatements.firstQueued, [.text(name)]).first {
                let id = try row.requiredInteger("id")
                let payload = try row.text("payload") ?? ""
                let job: Job
                do {
                    job = try Job(jsonData: Data(payload.utf8))
                } catch {
                    try markDead(id, payload: payload, queue: name, error: error, at: now, on: connection)
                    continue
                }
                if let key = job.uniqueKey {
                    try connection.query(SQLiteJobQueueStatements.releaseUniqueKey, [.text(key), .text(job.jid)])
                }
                try connection.query(SQLiteJobQueueStatements.markInProgress, [.integer(id)])
                return ReservedJob(job: job, payload: payload)
            }
        }
        return nil
    }

    /// Moves the row of a payload that is not a readable job to the dead set, as the entry that
    /// `Job.deadEntry(forUnreadable:queue:error:at:)` makes of it.
    static func markDead(
        _ id: Int64, payload: String, queue: String?, error: any Error, at now: Date,
        on connection: isolated SQLiteConnection
    ) throws {
        let entry = Job.deadEntry(forUnreadable: payload, queue: queue, error: error, at: now)
        try connection.query(SQLiteJobQueueStatements.markDead, [.integer(id), .text(entry)])
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
}
