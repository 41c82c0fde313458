import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

/// Worker processes killed with SIGKILL and a Redis server that restarts under a worker.
@Suite("Redis worker faults", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisFaultTests {
    static let doneMetric = #"travis_logs_jobs_total{queue="maintenance",result="done"} 1"#

    @Test("SIGKILL mid-job loses no job")
    func sigkillMidJobLosesNoJob() async throws {
        try await killWorkerAndRestart(jobCount: 1, prefetch: 1)
    }

    @Test("SIGKILL loses no prefetched job")
    func sigkillLosesNoPrefetchedJob() async throws {
        // Two tasks run two jobs and the other three wait in the killed process's memory.
        try await killWorkerAndRestart(jobCount: 5, prefetch: 5)
    }

    /// Pushes `jobCount` jobs, kills a worker that fetches up to `prefetch` jobs at a time once all
    /// of them are in its in-progress list, and checks that a restarted worker runs each of them once.
    func killWorkerAndRestart(jobCount: Int, prefetch: Int) async throws {
        let namespace = RedisTestServer.uniqueNamespace("fault")
        let pool = try RedisTestServer.makePool()
        let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "test"))
        let jobs = (0..<jobCount).map { _ in JobPayload.partmanMaintenance.makeJob(at: Date()) }
        try await queue.push(jobs)
        let environment = [
            "REDIS_URL": try RedisTestServer.url(), "TRAVIS_SIDEKIQ_NAMESPACE": namespace,
            "FIXTURE_PROCESS_TIMEOUT_MS": "1500",
        ]

        let (killed, killedIdentity) = try await startWorkerHoldingJobs(
            jobCount, namespace: namespace, queue: queue,
            environment: environment.merging([
                "TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP": "60", "FIXTURE_PREFETCH": String(prefetch),
            ]) { $1 })
        killed.kill(signal: SIGKILL)
        killed.process.waitUntilExit()
        #expect(try await queue.inProgressPayloads(of: killedIdentity).count == jobCount)

        let restarted = try WorkerProcess(
            environment: environment.merging(["TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP": "0.1"]) { $1 })
        let finished = try await eventually(within: .seconds(20)) {
            let processes = try await pool.send("SMEMBERS", namespace + "travis-logs:processes")
            let owners = processes.arrayValue?.compactMap(\.stringValue) ?? []
            var held = 0
            for owner in owners { held += try await queue.inProgressPayloads(of: owner).count }
            let waiting = try await queue.size(of: "maintenance")
            return !owners.contains(killedIdentity) && held == 0 && waiting == 0
        }
        #expect(finished, "the jobs were not run again after the restart")
        let (status, output) = try await restarted.terminate()
        #expect(status == 0)
        let doneMetric = #"travis_logs_jobs_total{queue="maintenance",result="done"} "# + String(jobCount)
        #expect(output.split(separator: "\n").contains(Substring(doneMetric)), "metrics: \(output)")
        #expect(try await queue.deadJobs().isEmpty)
        #expect(try await queue.retryJobs().isEmpty)
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    /// A `log_parts` job held by a killed worker must run again before the aggregator stops
    /// waiting for missing parts (60 s by default), or its parts are appended out of order. With
    /// the production timings, a worker that is already running takes the job back in time.
    @Test("Killed worker's job back within 40 s")
    func runningWorkerRecoversKilledWorkersJobInTime() async throws {
        let namespace = RedisTestServer.uniqueNamespace("fault")
        let pool = try RedisTestServer.makePool()
        let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "test"))
        try await queue.push([JobPayload.partmanMaintenance.makeJob(at: Date())])
        let environment = ["REDIS_URL": try RedisTestServer.url(), "TRAVIS_SIDEKIQ_NAMESPACE": namespace]

        let (killed, killedIdentity) = try await startWorkerHoldingJobs(
            1, namespace: namespace, queue: queue,
            environment: environment.merging(["TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP": "120"]) { $1 })
        let survivor = try WorkerProcess(
            environment: environment.merging(["TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP": "0.1"]) { $1 })
        let registered = try await eventually(within: .seconds(20)) {
            try await pool.send("SCARD", namespace + "travis-logs:processes") == .integer(2)
        }
        try #require(registered, "the second worker did not register")

        killed.kill(signal: SIGKILL)
        killed.process.waitUntilExit()
        let killedAt = ContinuousClock.now
        let finished = try await eventually(within: .seconds(45)) {
            let heldByKilled = try await queue.inProgressPayloads(of: killedIdentity).count
            let waiting = try await queue.size(of: "maintenance")
            return heldByKilled == 0 && waiting == 0
        }
        let waited = ContinuousClock.now - killedAt
        #expect(finished, "the killed worker's job was still not back after \(waited)")
        #expect(waited < .seconds(40), "taking the job back took \(waited)")
        let (status, output) = try await survivor.terminate()
        #expect(status == 0)
        #expect(output.contains(Self.doneMetric), "metrics: \(output)")
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    @Test("Redis restart: worker waits and reconnects")
    func redisRestartWorkerReconnects() async throws {
        let server = try RestartableRedisServer()
        defer { server.stop() }
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: server.url), settings: .init(size: 2), logger: Logger(label: "test"))
        defer { pool.close() }
        let queue = RedisJobQueue(pool: pool, logger: Logger(label: "test"))
        let worker = try WorkerProcess(environment: [
            "REDIS_URL": server.url, "TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP": "0",
        ])
        let registered = try await eventually(within: .seconds(20)) {
            try await pool.send("SCARD", "travis-logs:processes") == .integer(1)
        }
        try #require(registered, "the worker did not register")

        server.stop()
        try await Task.sleep(for: .seconds(3))
        #expect(worker.process.isRunning)
        try server.start()
        // The test's own connections broke too: the first command on each fails once.
        let job = JobPayload.partmanMaintenance.makeJob(at: Date())
        let pushed = try await eventually(within: .seconds(5)) { (try? await queue.push([job])) != nil }
        try #require(pushed, "pushing after the restart failed")
        let ran = try await eventually(within: .seconds(40)) {
            try await queue.size(of: "maintenance") == 0
        }
        #expect(ran, "the worker did not take the job after Redis came back")
        try await Task.sleep(for: .milliseconds(300))
        let (status, output) = try await worker.terminate()
        #expect(status == 0)
        #expect(output.contains(Self.doneMetric), "metrics: \(output)")

        let lines = worker.logLines
        let attempts = lines.filter { $0.contains("connecting to Redis failed, retrying") }
            .compactMap { $0.firstMatch(of: /attempt=(\d+)/).map { Int($0.1)! } }
        #expect(!attempts.isEmpty)
        #expect(attempts == Array(1...max(1, attempts.count)), "each retry round is logged once: \(attempts)")
        #expect(lines.filter { $0.contains("reconnected to Redis") }.count == 1)
        let fetchFailures = lines.filter { $0.contains("fetching jobs failed") }.count
        #expect(fetchFailures <= 4, "logged \(fetchFailures) fetch failures")
    }

    /// Starts the only worker of `namespace` and returns it with its process identity once
    /// `jobCount` jobs are in its in-progress list.
    private func startWorkerHoldingJobs(
        _ jobCount: Int, namespace: String, queue: RedisJobQueue, environment: [String: String]
    ) async throws -> (WorkerProcess, String) {
        let worker = try WorkerProcess(environment: environment)
        var identity = ""
        let started = try await eventually(within: .seconds(20)) {
            let members = try await queue.pool.send("SMEMBERS", namespace + "travis-logs:processes")
            identity = members.arrayValue?.first?.stringValue ?? ""
            guard !identity.isEmpty else { return false }
            return try await queue.inProgressPayloads(of: identity).count == jobCount
        }
        try #require(started, "the first worker did not take all \(jobCount) jobs")
        return (worker, identity)
    }
}
