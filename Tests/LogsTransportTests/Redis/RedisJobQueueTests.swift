import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite("Redis job queue", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisJobQueueTests {
    let namespace = RedisTestServer.uniqueNamespace("queue")
    let pool: RedisConnectionPool

    init() throws {
        pool = try RedisTestServer.makePool(size: 8)
    }

    func makeQueue(identity: String = RedisJobQueue.Settings.makeIdentity(), processTimeout: Duration = .seconds(60))
        -> RedisJobQueue
    {
        // These tests check the in-progress list after each step, so an acknowledgement takes no
        // next job here; "acknowledgement fetches next job" covers that.
        let settings = RedisJobQueue.Settings(
            identity: identity, processTimeout: processTimeout, promotionInterval: .zero, recoveryInterval: .zero,
            maximumBlock: .milliseconds(400), fetchesOnAcknowledge: false)
        return RedisJobQueue(pool: pool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
    }

    func cleanUp() async throws {
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    static func archiveJob(_ logID: Int64) -> Job {
        JobPayload.archive(LogID(logID)).makeJob(at: Date())
    }

    @Test("push then reserve in order")
    func pushThenReserveInOrder() async throws {
        let queue = makeQueue()
        let jobs = (1...3).map { Self.archiveJob($0) }
        try await queue.push(jobs)

        #expect(try await queue.size(of: "archive") == 3)
        let members = try await pool.send("SMEMBERS", namespace + "queues")
        #expect(members == .array([.string("archive")]))
        let first = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(first.job.jid == jobs[0].jid)
        #expect(first.job.enqueuedAt != nil)
        #expect(try await queue.inProgressPayloads() == [first.payload])

        try await queue.acknowledge(first)
        #expect(try await queue.inProgressPayloads().isEmpty)
        let second = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        #expect(second?.job.jid == jobs[1].jid)
        try await queue.close()
        try await cleanUp()
    }

    @Test("empty queue times out")
    func emptyQueueTimesOut() async throws {
        let queue = makeQueue()
        let started = ContinuousClock.now
        let reserved = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .milliseconds(300))
        #expect(reserved == nil)
        #expect(started.duration(to: .now) >= .milliseconds(250))
        try await queue.close()
        try await cleanUp()
    }

    @Test("blocked reserve wakes on push")
    func blockedReserveWakesOnPush() async throws {
        let queue = makeQueue()
        let pusher = makeQueue()
        let job = Self.archiveJob(7)
        async let reserved = queue.reserve(
            from: [WeightedQueue("purge_log"), WeightedQueue("archive")], timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        try await pusher.push([job])
        let taken = try await reserved
        #expect(taken?.job.jid == job.jid)
        #expect(started.duration(to: .now) < .seconds(1))
        try await queue.close()
        try await cleanUp()
    }

    @Test("weighted fetch prefers heavier queue")
    func weightedFetchPrefersHeavierQueue() async throws {
        let queue = makeQueue()
        let heavy = (0..<300).map { _ in JobPayload.archive(LogID(1)).makeJob(at: Date()) }
        let light = (0..<300).map { _ in JobPayload.purge(LogID(1)).makeJob(at: Date()) }
        try await queue.push(heavy + light)
        var fromHeavy = 0
        for _ in 0..<200 {
            let reserved = try #require(
                try await queue.reserve(
                    from: [WeightedQueue("archive", weight: 3), WeightedQueue("purge_log", weight: 1)], timeout: .zero))
            if reserved.job.queue == "archive" { fromHeavy += 1 }
            try await queue.acknowledge(reserved)
        }
        // Weights 3 and 1 put `archive` first three times in four.
        #expect((120...180).contains(fromHeavy), "archive came first \(fromHeavy) times of 200")
        try await queue.close()
        try await cleanUp()
    }

    @Test("due scheduled job promoted")
    func dueScheduledJobPromoted() async throws {
        let queue = makeQueue()
        let due = Self.archiveJob(1)
        let later = Self.archiveJob(2)
        try await queue.schedule(due, at: Date().addingTimeInterval(-1))
        try await queue.schedule(later, at: Date().addingTimeInterval(3600))
        #expect(try await queue.scheduledJobs().count == 2)

        let reserved = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(reserved.job.jid == due.jid)
        #expect(reserved.job.enqueuedAt != nil)
        let scheduled = try await queue.scheduledJobs()
        #expect(scheduled.map(\.job.jid) == [later.jid])
        #expect(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero) == nil)
        try await queue.close()
        try await cleanUp()
    }

    @Test("racing promoters push once")
    func racingPromotersPushOnce() async throws {
        let queue = makeQueue()
        let other = makeQueue()
        for index in 0..<150 {
            try await queue.schedule(Self.archiveJob(Int64(index)), at: Date().addingTimeInterval(-1))
        }
        async let first = queue.promoteDueJobs()
        async let second = other.promoteDueJobs()
        let moved = try await first + second
        #expect(moved == 150)
        #expect(try await queue.size(of: "archive") == 150)
        #expect(try await queue.scheduledJobs().isEmpty)
        try await cleanUp()
    }

    @Test("retry and bury move the job")
    func retryAndBuryMoveTheJob() async throws {
        let queue = makeQueue()
        try await queue.push([Self.archiveJob(1), Self.archiveJob(2)])
        let first = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        let decision = SidekiqRetryPolicy(jitter: { _ in 0 })
            .decide(for: first.job, errorClass: "E", message: "failed", now: Date())
        guard case .retry(let updated, let date) = decision else {
            Issue.record("expected a retry, got \(decision)")
            return
        }
        try await queue.retry(first, as: updated, at: date)
        let retries = try await queue.retryJobs()
        #expect(retries.count == 1)
        #expect(retries.first?.job.retryCount == 0)
        #expect(abs((retries.first?.due.timeIntervalSince1970 ?? 0) - date.timeIntervalSince1970) < 0.001)

        let second = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        var dead = second.job
        dead.errorMessage = "gave up"
        try await queue.bury(second, as: dead)
        #expect(try await queue.deadJobs().map(\.errorMessage) == ["gave up"])
        #expect(try await queue.inProgressPayloads().isEmpty)
        try await queue.close()
        try await cleanUp()
    }

    @Test("dead set trimmed to maximum")
    func deadSetTrimmed() async throws {
        var settings = RedisJobQueue.Settings(promotionInterval: .zero)
        settings.deadMaximumJobs = 2
        let queue = RedisJobQueue(pool: pool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
        let jobs = (1...3).map { Self.archiveJob($0) }
        try await queue.push(jobs)
        for _ in jobs {
            let reserved = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
            try await queue.bury(reserved, as: reserved.job)
        }
        #expect(try await queue.deadJobs().map(\.jid) == [jobs[1].jid, jobs[2].jid])
        try await queue.close()
        try await cleanUp()
    }

    @Test("requeue puts job first")
    func requeuePutsJobFirst() async throws {
        let queue = makeQueue()
        let jobs = [Self.archiveJob(1), Self.archiveJob(2)]
        try await queue.push(jobs)
        let first = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        try await queue.requeue(first)
        #expect(try await queue.inProgressPayloads().isEmpty)
        let again = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        #expect(again?.payload == first.payload)
        try await queue.close()
        try await cleanUp()
    }

    @Test("aggregate jobs unique while queued")
    func aggregateJobsUniqueWhileQueued() async throws {
        let queue = makeQueue()
        let aggregate = { JobPayload.aggregate(LogID(9)).makeJob(at: Date()) }
        try await queue.push([aggregate(), aggregate()])
        try await queue.schedule(aggregate(), at: Date().addingTimeInterval(60))
        try await queue.push([JobPayload.aggregate(LogID(10)).makeJob(at: Date())])
        #expect(try await queue.size(of: "aggregate") == 2)
        #expect(try await queue.scheduledJobs().isEmpty)

        let running = try #require(try await queue.reserve(from: [WeightedQueue("aggregate")], timeout: .zero))
        #expect(running.job.args == [.integer(9)])
        // Taking the job releases its claim, so parts that arrive while it runs can aggregate again.
        try await queue.push([aggregate()])
        #expect(try await queue.size(of: "aggregate") == 2)
        try await queue.acknowledge(running)
        try await queue.close()
        try await cleanUp()
    }

    @Test("dead process jobs recovered")
    func deadProcessJobsRecovered() async throws {
        let dying = makeQueue(identity: "dying-\(UUID().uuidString)")
        let alive = makeQueue(identity: "alive-\(UUID().uuidString)")
        let jobs = [Self.archiveJob(1), Self.archiveJob(2), Self.archiveJob(3)]
        try await dying.push(jobs)
        let taken = try #require(try await dying.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        let held = try #require(try await alive.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(try await alive.recoverDeadProcesses() == 0)

        // The dying process stops beating: its heartbeat key expires.
        _ = try await pool.send("DEL", namespace + "travis-logs:heartbeat:\(dying.identity)")
        #expect(try await alive.recoverDeadProcesses() == 1)
        #expect(try await dying.inProgressPayloads().isEmpty)
        #expect(try await alive.inProgressPayloads() == [held.payload])
        let again = try await alive.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        #expect(again?.payload == taken.payload)
        let processes = try await pool.send("SMEMBERS", namespace + "travis-logs:processes")
        #expect(processes.arrayValue?.contains(.string(dying.identity)) == false)

        // The late acknowledgement of the dying process removes nothing it no longer owns.
        try await dying.retry(taken, as: taken.job, at: Date())
        #expect(try await alive.retryJobs().isEmpty)
        try await alive.close()
        try await cleanUp()
    }

    @Test("close pushes back unfinished jobs")
    func closePushesBackUnfinishedJobs() async throws {
        let queue = makeQueue()
        try await queue.push([Self.archiveJob(1)])
        let taken = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        try await queue.close()
        #expect(try await queue.jobs(in: "archive").map(\.jid) == [taken.job.jid])
        let heartbeat = try await pool.send("EXISTS", namespace + "travis-logs:heartbeat:\(queue.identity)")
        #expect(heartbeat == .integer(0))
        try await cleanUp()
    }

    /// Reads the dead set's entries, oldest first, and checks the members every entry of an
    /// unreadable payload has.
    func unreadableDeadEntries(failedAround date: Date) async throws -> [JSONValue] {
        let members = try await pool.send("ZRANGE", namespace + "dead", "0", "-1").arrayValue ?? []
        var entries: [JSONValue] = []
        for member in members {
            let text = try #require(member.stringValue)
            let entry = try JSONValue(parsing: Data(text.utf8))
            #expect(entry["class"] == .string("TravisLogs::UnreadableJob"), "\(text)")
            #expect(entry["error_class"] == "LogsError.invalid_job", "\(text)")
            #expect(entry["error_message"]?.stringValue?.hasPrefix("queued job") == true, "\(text)")
            #expect(entry["retry_count"] == .integer(0), "\(text)")
            #expect(entry["jid"]?.stringValue?.count == 24, "\(text)")
            let failedAt = try #require(entry["failed_at"]?.doubleValue, "\(text)")
            #expect(abs(failedAt - date.timeIntervalSince1970) < 60, "\(text)")
            entries.append(entry)
        }
        return entries
    }

    @Test("invalid payload buried with its error")
    func invalidPayloadGoesToDeadSet() async throws {
        let queue = makeQueue()
        try await queue.push([Self.archiveJob(1)])
        let payloads = ["not json", #"{"class":"Travis::Logs::Sidekiq::Archive","args":[2]}"#, "[1,2]"]
        for payload in payloads {
            _ = try await pool.send("RPUSH", namespace + "queue:archive", payload)
        }
        try await queue.push([Self.archiveJob(3)])
        let first = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        #expect(first?.job.args == [.integer(1)])
        let next = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        #expect(next?.job.args == [.integer(3)])

        let entries = try await unreadableDeadEntries(failedAround: Date())
        #expect(Set(entries.compactMap { $0["args"] }) == Set(payloads.map { .array([.string($0)]) }))
        #expect(entries.allSatisfy { $0["queue"] == "archive" })
        let missingJID = entries.first { $0["args"]?.arrayValue?.first?.stringValue == payloads[1] }
        #expect(missingJID?["error_message"] == #"queued job has no valid "queue" field"#)
        #expect(Set(entries.compactMap { $0["jid"] }).count == 3)
        try await queue.close()
        try await cleanUp()
    }

    @Test("unreadable promoted and recovered payloads buried")
    func unreadableScheduledAndInProgress() async throws {
        let queue = makeQueue()
        let dying = "dying-\(UUID().uuidString)"
        _ = try await pool.send("ZADD", namespace + "schedule", "1", "scheduled garbage")
        _ = try await pool.send("SADD", namespace + "travis-logs:processes", dying)
        _ = try await pool.send("RPUSH", namespace + "travis-logs:in-progress:\(dying)", #"{"jid":"abc"}"#)
        #expect(try await queue.promoteDueJobs() == 1)
        #expect(try await queue.recoverDeadProcesses() == 1)

        let entries = try await unreadableDeadEntries(failedAround: Date())
        #expect(Set(entries.compactMap { $0["args"] }) == [.array(["scheduled garbage"]), .array([#"{"jid":"abc"}"#])])
        #expect(entries.allSatisfy { $0["queue"] == nil })
        #expect(try await queue.scheduledJobs().isEmpty)
        try await queue.close()
        try await cleanUp()
    }

    @Test("prefetched jobs handed out and pushed back")
    func prefetchedJobsHandedOutAndPushedBack() async throws {
        let settings = RedisJobQueue.Settings(promotionInterval: .zero, prefetch: 4)
        let queue = RedisJobQueue(pool: pool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
        let jobs = (1...10).map { Self.archiveJob($0) }
        try await queue.push(jobs)

        let first = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(first.job.jid == jobs[0].jid)
        #expect(try await queue.inProgressPayloads().count == 4)
        #expect(try await queue.size(of: "archive") == 6)
        try await queue.acknowledge(first)
        let second = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(second.job.jid == jobs[1].jid)
        #expect(try await queue.size(of: "archive") == 6)

        try await queue.close()
        #expect(try await queue.inProgressPayloads().isEmpty)
        #expect(try await queue.jobs(in: "archive").map(\.jid) == jobs.dropFirst().map(\.jid))
        try await cleanUp()
    }

    @Test("acknowledgement fetches next job")
    func acknowledgementFetchesNextJob() async throws {
        #expect(!RedisJobQueue.Settings().fetchesOnAcknowledge)
        let settings = RedisJobQueue.Settings(
            promotionInterval: .zero, recoveryInterval: .zero, fetchesOnAcknowledge: true)
        let queue = RedisJobQueue(pool: pool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
        let jobs = (1...3).map { Self.archiveJob($0) }
        try await queue.push(jobs)

        let first = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(first.job.jid == jobs[0].jid)
        try await queue.acknowledge(first)
        let afterFirst = try await queue.inProgressPayloads()
        #expect(afterFirst.count == 1)
        #expect(!afterFirst.contains(first.payload))
        #expect(try await queue.size(of: "archive") == 1)

        let second = try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero))
        #expect(second.job.jid == jobs[1].jid)
        #expect(try await queue.inProgressPayloads() == [second.payload])
        try await queue.acknowledge(second)
        #expect(try await queue.size(of: "archive") == 0)
        #expect(try await queue.inProgressPayloads().count == 1)

        // No reserve follows, so close() pushes the job the last acknowledgement took back.
        try await queue.close()
        #expect(try await queue.inProgressPayloads().isEmpty)
        #expect(try await queue.jobs(in: "archive").map(\.jid) == [jobs[2].jid])
        try await cleanUp()
    }

    @Test("concurrent workers take each job once")
    func concurrentWorkersTakeEachJobOnce() async throws {
        let queues = (0..<4).map { _ in makeQueue() }
        let jobs = (0..<400).map { Self.archiveJob(Int64($0)) }
        try await queues[0].push(jobs)
        let taken = try await withThrowingTaskGroup(of: [String].self) { group in
            for queue in queues {
                group.addTask {
                    var jids: [String] = []
                    while let reserved = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero) {
                        jids.append(reserved.job.jid)
                        try await queue.acknowledge(reserved)
                    }
                    return jids
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(taken.count == 400)
        #expect(Set(taken) == Set(jobs.map(\.jid)))
        for queue in queues { try await queue.close() }
        try await cleanUp()
    }

    @Test("concurrent acknowledgements all land")
    func concurrentAcknowledgementsAllLand() async throws {
        let settings = RedisJobQueue.Settings(promotionInterval: .zero, prefetch: 50)
        let queue = RedisJobQueue(pool: pool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
        try await queue.push((0..<200).map { Self.archiveJob(Int64($0)) })
        var reserved: [ReservedJob] = []
        while let job = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero) {
            reserved.append(job)
        }
        #expect(reserved.count == 200)
        #expect(try await queue.inProgressPayloads().count == 200)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in reserved {
                group.addTask { try await queue.acknowledge(job) }
            }
            try await group.waitForAll()
        }
        #expect(try await queue.inProgressPayloads().isEmpty)
        try await queue.close()
        try await cleanUp()
    }

    @Test("list acknowledgement removes every job")
    func listAcknowledgementRemovesEveryJob() async throws {
        let queue = makeQueue()
        let jobs = (1...4).map { Self.archiveJob($0) }
        try await queue.push(jobs)
        var reserved: [ReservedJob] = []
        for _ in jobs {
            reserved.append(try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)))
        }

        try await queue.acknowledge(Array(reserved.prefix(3)))
        #expect(try await queue.inProgressPayloads() == [reserved[3].payload])
        // Acknowledging jobs already removed changes nothing and does not fail.
        try await queue.acknowledge(reserved)
        #expect(try await queue.inProgressPayloads().isEmpty)
        #expect(try await queue.size(of: "archive") == 0)
        try await queue.close()
        try await cleanUp()
    }

    @Test("concurrent acknowledgements report errors")
    func concurrentAcknowledgementsReportErrors() async throws {
        let queue = makeQueue()
        try await queue.push((0..<20).map { Self.archiveJob(Int64($0)) })
        var reserved: [ReservedJob] = []
        for _ in 0..<20 {
            reserved.append(try #require(try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)))
        }
        // The in-progress list replaced by a string makes every LREM fail with WRONGTYPE.
        _ = try await pool.send("SET", queue.keys.inProgress(queue.identity), "not a list")

        let failures = await withTaskGroup(of: RedisError?.self) { group in
            for job in reserved {
                group.addTask {
                    do {
                        try await queue.acknowledge(job)
                        return nil
                    } catch {
                        return error as? RedisError
                    }
                }
            }
            return await group.reduce(into: [RedisError]()) { if let error = $1 { $0.append(error) } }
        }
        #expect(failures.count == 20)
        #expect(failures.allSatisfy { $0.code == .serverError })
        _ = try await pool.send("DEL", queue.keys.inProgress(queue.identity))
        try await queue.close()
        try await cleanUp()
    }
}
