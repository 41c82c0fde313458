import Foundation
import LogsCore

/// Reads of the queue's state, for tests and for checking a dev data folder.
extension SQLiteJobQueue {
    /// Returns the raw JSON of the jobs waiting in a queue, oldest first.
    public func payloads(in queue: String) async throws -> [String] {
        try await connection.run { connection in
            try connection.query(SQLiteJobQueueStatements.payloadsInQueue, [.text(queue)]).map {
                try $0.text("payload") ?? ""
            }
        }
    }

    /// Returns the jobs waiting in a queue, oldest first.
    public func jobs(in queue: String) async throws -> [Job] {
        try await payloads(in: queue).compactMap { try? Job(jsonData: Data($0.utf8)) }
    }

    public func scheduledJobs() async throws -> [(due: Date, job: Job)] {
        try await waitingJobs(state: "scheduled")
    }

    public func retryJobs() async throws -> [(due: Date, job: Job)] {
        try await waitingJobs(state: "retry")
    }

    public func deadJobs() async throws -> [Job] {
        try await waitingJobs(state: "dead").map(\.job)
    }

    public func inProgressCount() async throws -> Int {
        try await connection.run { connection in
            Int(
                try connection.query(SQLiteJobQueueStatements.countInState, [.text("in_progress")]).first?
                    .requiredInteger("count") ?? 0)
        }
    }

    /// Returns whether nothing is queued, scheduled, retrying or running.
    public func isIdle() async throws -> Bool {
        try await connection.run { connection in
            try connection.query(SQLiteJobQueueStatements.countWaitingOrRunning).first?.requiredInteger("count") == 0
        }
    }

    private func waitingJobs(state: String) async throws -> [(due: Date, job: Job)] {
        let rows = try await connection.run { connection in
            try connection.query(SQLiteJobQueueStatements.payloadsInState, [.text(state)]).map { row in
                (due: try row.integer("due_at") ?? 0, payload: try row.text("payload") ?? "")
            }
        }
        return rows.compactMap { row in
            guard let job = try? Job(jsonData: Data(row.payload.utf8)) else { return nil }
            return (Date(timeIntervalSince1970: TimeInterval(row.due) / 1_000_000), job)
        }
    }
}
