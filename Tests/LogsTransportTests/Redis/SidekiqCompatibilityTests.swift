import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

/// Checks the wire format against Debian's Ruby Sidekiq 6.4, which uses unprefixed keys, so this
/// suite owns a database of its own and runs its tests one at a time.
@Suite(
    "Sidekiq compatibility", .serialized,
    .enabled(if: RedisTestServer.isEnabled && RubySidekiq.isInstalled, "needs REDIS_URL and ruby-sidekiq"))
struct SidekiqCompatibilityTests {
    static let database = 12
    let pool: RedisConnectionPool
    let redisURL: String

    init() async throws {
        pool = try RedisTestServer.makePool(database: Self.database, size: 4)
        redisURL = try RedisTestServer.url(database: Self.database)
        _ = try await pool.send("FLUSHDB")
    }

    func makeQueue() -> RedisJobQueue {
        RedisJobQueue(
            pool: pool, settings: RedisJobQueue.Settings(promotionInterval: .zero), logger: Logger(label: "test"))
    }

    func finish(_ queue: RedisJobQueue) async throws {
        try await queue.close()
        _ = try await pool.send("FLUSHDB")
        pool.close()
    }

    @Test("Ruby client jobs run here")
    func rubyClientJobsRunHere() async throws {
        let pushed = try await RubySidekiq.run("push_jobs.rb", redisURL: redisURL)
        let queue = makeQueue()
        let store = InMemoryPartStore()
        var pipeline = Pipeline.inMemory(configuration: try LogsConfiguration(environment: [:]))
        pipeline.queue = queue
        pipeline.store = store

        let ran = try await pipeline.makeJobRunner().runUntilIdle(queues: [WeightedQueue("log_parts")])
        #expect(ran == 2)
        let contents = await store.allParts().sorted { $0.number < $1.number }.map(\.content)
        #expect(contents == ["hello from ruby\n", "scheduled from ruby\n"])
        #expect(pushed["now"]?.stringValue != nil)
        try await finish(queue)
    }

    @Test("jobs from here listed by Sidekiq API")
    func jobsListedBySidekiqAPI() async throws {
        let queue = makeQueue()
        let waiting = JobPayload.archive(LogID(1)).makeJob(at: Date())
        let later = JobPayload.purge(LogID(2)).makeJob(at: Date())
        let failing = JobPayload.archive(LogID(3)).makeJob(at: Date())
        let dying = JobPayload.archive(LogID(4)).makeJob(at: Date())
        let laterDate = Date().addingTimeInterval(3600)
        try await queue.push([failing, dying])
        let failed = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        let buried = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        let policy = SidekiqRetryPolicy(jitter: { _ in 0 })
        guard
            case .retry(let retried, let retryDate) = policy.decide(
                for: failed.job, errorClass: "LogsError.archive", message: "upload failed", now: Date())
        else {
            Issue.record("expected a retry decision")
            return
        }
        try await queue.retry(failed, as: retried, at: retryDate)
        try await queue.bury(buried, as: buried.job)
        try await queue.push([waiting])
        try await queue.schedule(later, at: laterDate)

        let listed = try await RubySidekiq.run("inspect_sets.rb", redisURL: redisURL)
        let archive = try #require(listed["queues"]?["archive"])
        #expect(archive["size"]?.integerValue == 1)
        let latency = try #require(archive["latency"]?.doubleValue)
        #expect(latency >= 0)
        #expect(latency < 60)
        let listedJob = try #require(archive["jobs"]?.arrayValue?.first)
        #expect(listedJob["jid"]?.stringValue == waiting.jid)
        #expect(listedJob["klass"]?.stringValue == "Travis::Logs::Sidekiq::Archive")
        #expect(listedJob["args"] == .array([.integer(1)]))
        #expect(listedJob["enqueued_at"]?.doubleValue != nil)

        let scheduled = try #require(listed["scheduled"]?.arrayValue?.first)
        #expect(scheduled["jid"]?.stringValue == later.jid)
        #expect(scheduled["queue"]?.stringValue == "purge_log")
        #expect(abs((scheduled["at"]?.doubleValue ?? 0) - laterDate.timeIntervalSince1970) < 0.01)

        let retry = try #require(listed["retries"]?.arrayValue?.first)
        #expect(retry["jid"]?.stringValue == failing.jid)
        #expect(retry["retry_count"]?.integerValue == 0)
        #expect(retry["error_message"]?.stringValue == "upload failed")
        #expect(abs((retry["at"]?.doubleValue ?? 0) - retryDate.timeIntervalSince1970) < 0.01)

        let dead = try #require(listed["dead"]?.arrayValue?.first)
        #expect(dead["jid"]?.stringValue == dying.jid)
        try await finish(queue)
    }

    @Test("unreadable job listed by Sidekiq API")
    func unreadableJobListedBySidekiqAPI() async throws {
        let queue = makeQueue()
        _ = try await pool.send("RPUSH", "queue:archive", "not json {")
        #expect(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero) == nil)

        let listed = try await RubySidekiq.run("inspect_sets.rb", redisURL: redisURL)
        let dead = try #require(listed["dead"]?.arrayValue?.first)
        #expect(dead["klass"]?.stringValue == "TravisLogs::UnreadableJob")
        #expect(dead["args"] == .array(["not json {"]))
        #expect(dead["queue"]?.stringValue == "archive")
        #expect(dead["jid"]?.stringValue?.count == 24)
        #expect(dead["error_class"]?.stringValue == "LogsError.invalid_job")
        #expect(dead["error_message"]?.stringValue == "queued job is not valid JSON")
        #expect(dead["retry_count"]?.integerValue == 0)
        let failedAt = try #require(dead["failed_at"]?.doubleValue)
        #expect(abs(failedAt - Date().timeIntervalSince1970) < 60)
        try await finish(queue)
    }

    @Test("Sidekiq API retry reaches this queue")
    func sidekiqAPIRetryReachesThisQueue() async throws {
        let queue = makeQueue()
        let job = JobPayload.archive(LogID(5)).makeJob(at: Date())
        try await queue.push([job])
        let reserved = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        var failed = reserved.job
        failed.retryCount = 0
        failed.errorMessage = "upload failed"
        try await queue.retry(reserved, as: failed, at: Date().addingTimeInterval(3600))

        _ = try await RubySidekiq.run("inspect_sets.rb", ["retry-all"], redisURL: redisURL)
        #expect(try await queue.retryJobs().isEmpty)
        let again = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        #expect(again?.job.jid == job.jid)
        // Sidekiq's manual retry takes one off `retry_count`, so the attempt it starts is not counted.
        #expect(again?.job.retryCount == -1)
        try await finish(queue)
    }

    @Test("Ruby Sidekiq process runs job from here")
    func rubySidekiqProcessRunsJob() async throws {
        let queue = makeQueue()
        let job = JobPayload.archive(LogID(77)).makeJob(at: Date())
        try await queue.push([job])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sidekiq-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: output) }

        let sidekiq = try RubySidekiq.startArchiveWorker(redisURL: redisURL, output: output)
        var text = ""
        for _ in 0..<150 where text.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        }
        sidekiq.terminate()
        try await runOnOwnThread { sidekiq.waitUntilExit() }
        #expect(text == "\(job.jid) 77\n")
        #expect(try await queue.size(of: "archive") == 0)
        try await finish(queue)
    }
}
