import Foundation
import LogsCore

/// A durable `JobQueue` in a SQLite file, for `travis-logs dev`: jobs survive the process dying.
///
/// The queue keeps its own tables (see `SQLiteJobQueueStatements`) and may share the file of a
/// `SQLitePartStore`. Each job is stored as the Sidekiq JSON the Redis queue stores. Every change
/// runs in one write transaction on the queue's own connection thread, so a job is in exactly one
/// state at any time, also after a crash.
///
/// One queue at a time uses a file: the queue holds an exclusive lock on `<path>.queue-lock`
/// while open. So every job found in progress when the queue opens was taken by a process that
/// has died (or by a queue that was closed), and it goes back to the front of its queue.
///
/// `reserve` waits without blocking a thread: a push through this queue wakes it at once, and it
/// checks the file every `pollInterval` in any case.
public final class SQLiteJobQueue: JobQueue {
    /// The connection, on its own thread.
    public let connection: SQLiteConnection
    public let path: String
    private let clock: any LogsClock
    private let pollInterval: Duration
    private let pushes = PushSignal()
    private let fileLock: ExclusiveFileLock

    /// Opens the queue's tables in the database file, creating them when missing, and returns the
    /// jobs left in progress to the front of their queues.
    ///
    /// - Parameters:
    ///   - path: the database file; its folder must exist.
    ///   - clock: the source of `enqueued_at` and of due times.
    ///   - pollInterval: the longest time `reserve` waits before it checks the file again.
    /// - Throws: `SQLiteError` with code `.busy` when another queue has the file open, or
    ///   `.openFailed`.
    public init(
        path: String, clock: any LogsClock = SystemClock(), pollInterval: Duration = .milliseconds(250),
        busyTimeout: Duration = .seconds(10)
    ) async throws {
        self.path = path
        self.clock = clock
        self.pollInterval = pollInterval
        fileLock = try ExclusiveFileLock(path: path + ".queue-lock")
        do {
            connection = try await SQLiteConnection(path: path, busyTimeout: busyTimeout)
        } catch {
            fileLock.release()
            throw error
        }
        do {
            try await connection.run { connection in
                try connection.withTransaction {
                    try $0.execute(SQLiteJobQueueStatements.schema, name: "job_queue_schema")
                }
            }
            try await recoverInProgress()
        } catch {
            await close()
            throw error
        }
    }

    /// Closes the connection and releases the file. Jobs in progress stay so, and the next queue
    /// opened on the file puts them back.
    public func close() async {
        await connection.close()
        fileLock.release()
        pushes.signal()
    }

    // MARK: - JobQueue

    public func push(_ jobs: [Job]) async throws {
        guard !jobs.isEmpty else { return }
        let enqueuedAt = clock.now().timeIntervalSince1970
        try await connection.run { connection in
            try connection.withTransaction { connection in
                for job in jobs where try Self.claimUniqueKey(of: job, on: connection) {
                    var enqueued = job
                    enqueued.enqueuedAt = enqueuedAt
                    try connection.query(
                        SQLiteJobQueueStatements.appendQueued, [.text(job.queue), .text(Self.serialize(enqueued))])
                }
            }
        }
        pushes.signal()
    }

    public func schedule(_ job: Job, at date: Date) async throws {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                guard try Self.claimUniqueKey(of: job, on: connection) else { return }
                try Self.insert(job, state: "scheduled", due: date, on: connection)
            }
        }
    }

    public func reserve(from queues: [WeightedQueue], timeout: Duration) async throws -> ReservedJob? {
        let deadline = clock.now().addingTimeInterval(timeout.timeInterval)
        while true {
            try Task.checkCancellation()
            let generation = pushes.generation
            let now = clock.now()
            let order = Self.fetchOrder(queues)
            let reserved = try await connection.run { connection in
                try connection.withTransaction { connection in
                    try Self.promoteDueJobs(at: now, on: connection)
                    return try Self.takeNext(from: order, at: now, on: connection)
                }
            }
            if let reserved { return reserved }
            let remaining = deadline.timeIntervalSince(clock.now())
            if remaining <= 0 { return nil }
            let wait = min(Duration.milliseconds(Int64(remaining * 1000)), pollInterval)
            await pushes.wait(after: generation, upTo: wait, clock: clock)
        }
    }

    public func acknowledge(_ job: ReservedJob) async throws {
        try await connection.run { connection in
            try connection.query(SQLiteJobQueueStatements.removeInProgress, [.text(job.payload)])
        }
    }

    public func requeue(_ job: ReservedJob) async throws {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                try connection.query(SQLiteJobQueueStatements.removeInProgress, [.text(job.payload)])
                try Self.returnToFront(job.payload, of: job.job, on: connection)
            }
        }
        pushes.signal()
    }

    public func retry(_ job: ReservedJob, as updated: Job, at date: Date) async throws {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                try connection.query(SQLiteJobQueueStatements.removeInProgress, [.text(job.payload)])
                try Self.insert(updated, state: "retry", due: date, on: connection)
            }
        }
    }

    public func bury(_ job: ReservedJob, as updated: Job) async throws {
        try await connection.run { connection in
            try connection.withTransaction { connection in
                try connection.query(SQLiteJobQueueStatements.removeInProgress, [.text(job.payload)])
                try Self.insert(updated, state: "dead", due: nil, on: connection)
            }
        }
    }

    /// Moves every job in progress back to the front of its queue, keeping their order, as a new
    /// process does for the in-progress list of a dead one. `init` calls it.
    ///
    /// - Returns: how many jobs went back.
    @discardableResult
    public func recoverInProgress() async throws -> Int {
        let now = clock.now()
        let count = try await connection.run { connection in
            try connection.withTransaction { connection in
                // Newest first, each to the front, so the oldest ends up first.
                let rows = try connection.query(SQLiteJobQueueStatements.inProgress)
                for row in rows {
                    let id = try row.requiredInteger("id")
                    let payload = try row.text("payload") ?? ""
                    let job: Job
                    do {
                        job = try Job(jsonData: Data(payload.utf8))
                    } catch {
                        try Self.markDead(id, payload: payload, queue: nil, error: error, at: now, on: connection)
                        continue
                    }
                    try connection.query(SQLiteJobQueueStatements.deleteByID, [.integer(id)])
                    try Self.returnToFront(payload, of: job, on: connection)
                }
                return rows.count
            }
        }
        if count > 0 { pushes.signal() }
        return count
    }
}
