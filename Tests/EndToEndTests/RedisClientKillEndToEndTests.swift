import Foundation
import LogsCore
import LogsTransport
import TestSupport
import Testing

/// Kills every Redis connection of the system's processes every 200 ms while logs stream in.
/// Each fetch, acknowledgement and blocking move in flight fails, possibly after Redis ran it, so
/// the job queue reconciles its in-progress list many times.
@Suite(
    "End to end: Redis connections killed",
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct RedisClientKillEndToEndTests {
    @Test("Redis clients killed under load", .timeLimit(.minutes(6)))
    func redisClientsKilled() async throws {
        try await EndToEndSystem.with { system in
            let pool = RedisConnectionPool(
                endpoint: try RedisEndpoint(url: system.redisURL), settings: .init(size: 1),
                logger: Logger(label: "e2e-redis"))
            defer { pool.close() }
            let database = try #require(URL(string: system.redisURL)?.path.dropFirst())
            let load = FaultLoad(jobIDBase: system.jobIDBase, count: 4)
            async let fed: Void = load.run(on: system, rounds: 30, pause: .milliseconds(300), rate: 8)

            var killed = 0
            for _ in 0..<40 {
                try await Task.sleep(for: .milliseconds(200))
                killed += try await Self.killClients(ofDatabase: String(database), through: pool)
            }
            #expect(killed > 0, "no client of the system's Redis database was killed")
            try await fed
            // Soon after the load ends the queues are idle, so every live worker's in-progress list
            // must be empty, because a job left there waits until its process stops. Redis deletes
            // an empty list, so only lists with entries are found.
            var lengths: [String: Int] = [:]
            let emptied = try await Self.eventually(within: .seconds(60)) {
                lengths = try await Self.inProgressLengths(through: pool)
                return lengths.values.allSatisfy { $0 == 0 }
            }
            #expect(emptied, "jobs left in in-progress lists: \(lengths.filter { $0.value > 0 })")
            let dead = try await pool.send("ZRANGE", "dead", "0", "-1").arrayValue ?? []
            #expect(dead.isEmpty, "jobs in the dead set: \(dead.compactMap(\.stringValue).map { $0.prefix(300) })")
            try await system.expectArchivedAndPurged(load.all)
        }
    }

    /// Kills every normal client on `database` except `pool`'s own connection, and returns how
    /// many were killed.
    static func killClients(ofDatabase database: String, through pool: RedisConnectionPool) async throws -> Int {
        try await pool.withConnection { connection in
            let ownID = try await connection.send("CLIENT", "ID").integerValue
            let list = try await connection.send("CLIENT", "LIST", "TYPE", "normal").stringValue ?? ""
            var killed = 0
            for line in list.split(separator: "\n") {
                let fields = Dictionary(
                    line.split(separator: " ").compactMap { field -> (String, String)? in
                        guard let equals = field.firstIndex(of: "=") else { return nil }
                        return (String(field[..<equals]), String(field[field.index(after: equals)...]))
                    }, uniquingKeysWith: { first, _ in first })
                guard fields["db"] == database, let id = fields["id"], id != ownID.map(String.init) else { continue }
                killed += Int(try await connection.send("CLIENT", "KILL", "ID", id).integerValue ?? 0)
            }
            return killed
        }
    }

    /// Returns the length of every in-progress list in the database, by key.
    static func inProgressLengths(through pool: RedisConnectionPool) async throws -> [String: Int] {
        let keys = try await pool.send("KEYS", "*travis-logs:in-progress:*").arrayValue?.compactMap(\.stringValue) ?? []
        var lengths: [String: Int] = [:]
        for key in keys {
            lengths[key] = Int(try await pool.send("LLEN", key).integerValue ?? -1)
        }
        return lengths
    }

    /// Returns whether `condition` became true within `timeout`, checking every 200 ms.
    static func eventually(within timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }
}
