import Foundation
import LogsCore
import LogsStorage
import Testing

extension SQLiteJobQueue: InspectableJobQueue {}

@Suite("SQLite job queue")
struct SQLiteJobQueueTests {
    @Test("conformance check", arguments: JobQueueConformance.checkNames)
    func conformance(check: String) async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        try await JobQueueConformance.run(check) { clock in
            try await SQLiteJobQueue(path: file.path, clock: clock)
        } cleanUp: { queue in
            await (queue as? SQLiteJobQueue)?.close()
        }
    }

    @Test("queued and scheduled jobs survive a reopen")
    func jobsSurviveReopen() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let clock = ManualClock()
        let queued = JobPayload.archive(LogID(1)).makeJob(at: clock.now())
        let scheduled = JobPayload.aggregate(LogID(2)).makeJob(at: clock.now())
        let first = try await SQLiteJobQueue(path: file.path, clock: clock)
        try await first.push(queued)
        try await first.schedule(scheduled, at: clock.now().addingTimeInterval(10))
        await first.close()

        let second = try await SQLiteJobQueue(path: file.path, clock: clock)
        let reservedQueued = try await second.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        try await second.push(JobPayload.aggregate(LogID(2)).makeJob(at: clock.now()))
        clock.advance(by: .seconds(10))
        let reservedScheduled = try await second.reserve(from: [WeightedQueue("aggregate")], timeout: .zero)
        let aggregateQueue = try await second.jobs(in: "aggregate")
        await second.close()

        #expect(reservedQueued?.job.jid == queued.jid)
        #expect(reservedScheduled?.job.jid == scheduled.jid, "the unique key of the scheduled job was kept")
        #expect(aggregateQueue.isEmpty)
    }

    @Test("jobs in progress return to the front on reopen")
    func inProgressRecoveredOnReopen() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let clock = ManualClock()
        let jobs = (1...3).map { JobPayload.archive(LogID(Int64($0))).makeJob(at: clock.now()) }
        let first = try await SQLiteJobQueue(path: file.path, clock: clock)
        try await first.push(jobs)
        let taken = try await first.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        let takenSecond = try await first.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        let inProgressBeforeClose = try await first.inProgressCount()
        await first.close()

        let second = try await SQLiteJobQueue(path: file.path, clock: clock)
        let inProgressAfterReopen = try await second.inProgressCount()
        let waiting = try await second.jobs(in: "archive")
        await second.close()

        #expect(taken?.job.jid == jobs[0].jid)
        #expect(takenSecond?.job.jid == jobs[1].jid)
        #expect(inProgressBeforeClose == 2)
        #expect(inProgressAfterReopen == 0)
        #expect(waiting.map(\.jid) == jobs.map(\.jid))
    }

    @Test("unreadable payload buried with its error")
    func unreadablePayloadGoesToDeadSet() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let clock = ManualClock()
        let first = try await SQLiteJobQueue(path: file.path, clock: clock)
        await first.close()
        let connection = try await SQLiteConnection(path: file.path, busyTimeout: .seconds(1))
        try await connection.execute(
            "INSERT INTO job_queue_jobs (state, queue, payload) VALUES ('queued', 'archive', 'not json')",
            name: "insert_unreadable")
        await connection.close()

        let queue = try await SQLiteJobQueue(path: file.path, clock: clock)
        let reserved = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .zero)
        let dead = try await queue.deadJobs()
        await queue.close()

        #expect(reserved == nil)
        let entry = try #require(dead.first)
        #expect(dead.count == 1)
        #expect(entry.className == "TravisLogs::UnreadableJob")
        #expect(entry.args == [.string("not json")])
        #expect(entry.queue == "archive")
        #expect(entry.errorClass == "LogsError.invalid_job")
        #expect(entry.errorMessage == "queued job is not valid JSON")
        #expect(entry.failedAt == clock.now().timeIntervalSince1970)
        #expect(entry.retryCount == 0)
    }

    @Test("second queue on one file is rejected")
    func secondQueueRejected() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let first = try await SQLiteJobQueue(path: file.path)

        let error = await #expect(throws: SQLiteError.self) { try await SQLiteJobQueue(path: file.path) }
        await first.close()
        let reopened = try await SQLiteJobQueue(path: file.path)
        await reopened.close()

        #expect(error?.code == .busy)
        #expect(error?.description.contains("another data directory") == true)
    }

    @Test("queue shares the file with the part store")
    func sharesFileWithPartStore() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let queue = try await SQLiteJobQueue(path: file.path)
        let logID = try await store.findOrCreateLog(jobID: JobID(5), at: Date())
        try await queue.push(JobPayload.aggregate(logID).makeJob(at: Date()))

        let reserved = try await queue.reserve(from: [WeightedQueue("aggregate")], timeout: .zero)
        await queue.close()
        await store.close()

        #expect(reserved?.job.args == [.integer(logID.rawValue)])
    }
}
