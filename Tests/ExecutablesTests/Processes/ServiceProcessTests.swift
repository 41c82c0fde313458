import Foundation
import LogsCore
import LogsStorage
import LogsTransport
import TestSupport
import Testing

/// `sweeper`, `maintenance` and `worker --metrics-port` run as child processes against the
/// PostgreSQL and Redis servers that `script/services` starts.
@Suite(
    "travis-logs service processes",
    .serialized,
    .enabled(
        if: BuiltExecutable.isAvailableOrCI && TestEnvironment.shouldRun(needing: "REDIS_URL", "DATABASE_URL"),
        "REDIS_URL or DATABASE_URL is unset, or travis-logs is not built; run script/test")
)
struct ServiceProcessTests {
    private let namespace = "test-processes-\(UUID().uuidString.prefix(8))"

    private func withRedisQueue<T: Sendable>(_ body: (RedisJobQueue) async throws -> T) async throws -> T {
        let endpoint = try RedisEndpoint(url: try TestEnvironment.require("REDIS_URL"))
        let pool = RedisConnectionPool(endpoint: endpoint, logger: Logger(label: "tests"))
        let queue = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "tests"))
        do {
            let result = try await body(queue)
            try await deleteKeys(in: pool)
            pool.close()
            return result
        } catch {
            try? await deleteKeys(in: pool)
            pool.close()
            throw error
        }
    }

    private func deleteKeys(in pool: RedisConnectionPool) async throws {
        let reply = try await pool.send("KEYS", "\(namespace):*")
        let keys = reply.arrayValue?.compactMap(\.stringValue) ?? []
        if !keys.isEmpty { _ = try await pool.send(["DEL"] + keys) }
    }

    private var redisEnvironment: [String: String] {
        get throws {
            ["REDIS_URL": try TestEnvironment.require("REDIS_URL"), "TRAVIS_SIDEKIQ_NAMESPACE": namespace]
        }
    }

    // MARK: - Sweeper

    @Test("sweeper queues missed aggregations")
    func sweeperQueuesAggregations() async throws {
        let database = try await SweeperDatabase.create()
        do {
            try await sweeperQueuesAggregations(databaseURL: database.url)
        } catch {
            try? await database.drop()
            throw error
        }
        try await database.drop()
    }

    private func sweeperQueuesAggregations(databaseURL: String) async throws {
        let metricsPort = try freeLoopbackPort()
        try await withRedisQueue { queue in
            let environment = try redisEnvironment.merging([
                "DATABASE_URL": databaseURL, "TRAVIS_LOGS_INTERVALS_AGGREGATE": "1",
                "TRAVIS_LOGS_INTERVALS_SWEEPER": "600",
            ]) { $1 }
            let sweeper = try ToolProcess(["sweeper", "--metrics-port", "\(metricsPort)"], environment: environment)

            let queued = try await eventually(within: .seconds(30)) {
                try await !queue.jobs(in: JobPayload.Queue.aggregate).isEmpty
            }
            let metrics = try await httpRequest("GET", "http://127.0.0.1:\(metricsPort)/metrics")
            let status = try await sweeper.stop()
            let jobs = try await queue.jobs(in: JobPayload.Queue.aggregate)

            #expect(queued, "no aggregate job; stderr: \(sweeper.errorOutput.suffix(2000))")
            #expect(jobs.map(\.args) == [[.integer(SweeperDatabase.missedLogID)]])
            #expect(jobs.first?.className == JobPayload.ClassName.aggregate)
            #expect(metrics.status == 200)
            #expect(status == 0)
            #expect(sweeper.errorOutput.contains("sweeper starting"))
            #expect(sweeper.errorOutput.contains("version="))
            #expect(sweeper.errorOutput.contains("sweeper stopped"))
            #expect(!sweeper.errorOutput.contains(SweeperDatabase.password(of: databaseURL) ?? "\u{0}"))
        }
    }

    // MARK: - Maintenance

    @Test("maintenance queues one job and exits")
    func maintenanceQueuesJob() async throws {
        try await withRedisQueue { queue in
            let maintenance = try ToolProcess(["maintenance"], environment: try redisEnvironment)
            let status = try await maintenance.waitForExit()
            let jobs = try await queue.jobs(in: JobPayload.Queue.maintenance)

            #expect(status == 0, "stderr: \(maintenance.errorOutput.suffix(2000))")
            #expect(jobs.count == 1)
            #expect(jobs.first?.className == JobPayload.ClassName.partmanMaintenance)
            #expect(maintenance.errorOutput.contains("jid=\(jobs.first?.jid ?? "missing")"))
            #expect(maintenance.errorOutput.contains("maintenance stopped"))
        }
    }

    @Test("maintenance without Redis exits 2")
    func maintenanceWithoutRedis() async throws {
        let port = try freeLoopbackPort()
        let maintenance = try ToolProcess(["maintenance"], environment: ["REDIS_URL": "redis://127.0.0.1:\(port)/0"])
        let status = try await maintenance.waitForExit()

        #expect(status == 2)
        #expect(maintenance.errorOutput.contains("maintenance failed to queue the job"))
    }

    // MARK: - Worker metrics

    @Test("worker serves its counters on --metrics-port")
    func workerMetrics() async throws {
        let metricsPort = try freeLoopbackPort()
        try await withRedisQueue { queue in
            let part = RawLogPart(jobID: JobID(3), log: "x", number: .number(1))
            try await queue.push(JobPayload.pusherForwarding([part.base64Encoded()]).makeJob(at: Date()))
            let environment = try redisEnvironment.merging([
                "DATABASE_URL": try TestEnvironment.require("DATABASE_URL"), "TRAVIS_LOGS_ARCHIVE": "false",
            ]) { $1 }
            let worker = try ToolProcess(
                ["worker", "--queue", "logs.pusher_forwarding", "--metrics-port", "\(metricsPort)"],
                environment: environment)

            let expected = #"travis_logs_jobs_total{queue="logs.pusher_forwarding",result="done"} 1"#
            var lastBody = ""
            let counted = try await eventually(within: .seconds(30)) {
                guard let response = try? await httpRequest("GET", "http://127.0.0.1:\(metricsPort)/metrics") else {
                    return false
                }
                lastBody = response.body
                return response.body.contains(expected)
            }
            let status = try await worker.stop()

            #expect(counted, "metrics: \(lastBody.prefix(2000)); stderr: \(worker.errorOutput.suffix(2000))")
            #expect(status == 0)
        }
    }
}
