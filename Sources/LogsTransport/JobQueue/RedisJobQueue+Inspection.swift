import Foundation
import LogsCore

extension RedisJobQueue {
    /// The jobs waiting in a queue, next to run first.
    public func jobs(in queue: String) async throws -> [Job] {
        let reply = try await pool.send("LRANGE", keys.queue(queue), "0", "-1")
        return (reply.arrayValue ?? []).reversed().compactMap { $0.stringValue.flatMap(Self.job(from:)) }
    }

    public func size(of queue: String) async throws -> Int {
        Int(try await pool.send("LLEN", keys.queue(queue)).integerValue ?? 0)
    }

    public func scheduledJobs() async throws -> [(due: Date, job: Job)] {
        try await sortedSet(keys.schedule)
    }

    public func retryJobs() async throws -> [(due: Date, job: Job)] {
        try await sortedSet(keys.retry)
    }

    public func deadJobs() async throws -> [Job] {
        try await sortedSet(keys.dead).map(\.job)
    }

    /// The raw JSON of the jobs in a process's in-progress list, by default this process's.
    public func inProgressPayloads(of owner: String? = nil) async throws -> [String] {
        let reply = try await pool.send("LRANGE", keys.inProgress(owner ?? identity), "0", "-1")
        return reply.arrayValue?.compactMap(\.stringValue) ?? []
    }

    private func sortedSet(_ key: String) async throws -> [(due: Date, job: Job)] {
        let reply = try await pool.send("ZRANGE", key, "0", "-1", "WITHSCORES")
        let elements = reply.arrayValue ?? []
        var entries: [(due: Date, job: Job)] = []
        for index in stride(from: 0, to: elements.count - 1, by: 2) {
            guard let job = elements[index].stringValue.flatMap(Self.job(from:)),
                let score = elements[index + 1].stringValue.flatMap(Double.init)
            else { continue }
            entries.append((Date(timeIntervalSince1970: score), job))
        }
        return entries
    }

    private static func job(from payload: String) -> Job? {
        try? SidekiqJobJSON.job(from: payload)
    }
}
