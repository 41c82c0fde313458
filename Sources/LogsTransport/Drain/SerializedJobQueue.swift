import LogsCore

/// A job already written as Sidekiq JSON, `enqueued_at` included, and the queue it goes to.
struct SerializedJob: Sendable, Hashable {
    var queue: String
    var payload: String
}

/// A job queue that stores jobs already written as Sidekiq JSON, so that the drain can place the
/// JSON it wrote once per part into both of its jobs.
protocol SerializedJobQueue: JobQueue {
    /// Pushes the jobs, whose JSON is stored unchanged, as `push(_:)` pushes jobs without a
    /// unique key: in one round trip where the queue can.
    nonisolated(nonsending) func push(serialized jobs: [SerializedJob]) async throws
}

extension RedisJobQueue: SerializedJobQueue {
    /// Sends the commands `push(_:)` sends for jobs without a unique key: per queue, in the order
    /// the jobs name them, `SADD` of the queue's name and one `LPUSH` of its jobs, in one pipeline.
    nonisolated(nonsending) func push(serialized jobs: [SerializedJob]) async throws {
        guard !jobs.isEmpty else { return }
        var payloads: [String: [String]] = [:]
        var queueOrder: [String] = []
        for job in jobs {
            if payloads[job.queue] == nil { queueOrder.append(job.queue) }
            payloads[job.queue, default: []].append(job.payload)
        }
        var commands: [RedisCommand] = []
        for queue in queueOrder {
            commands.append(RedisCommand("SADD", keys.queues, queue))
            commands.append(RedisCommand(["LPUSH", keys.queue(queue)] + (payloads[queue] ?? [])))
        }
        try Self.checkAll(try await pool.pipeline(commands), of: commands)
    }
}
