import Foundation
import Testing

@testable import LogsCore

@Suite("InMemoryJobQueue")
struct InMemoryJobQueueTests {
    private let clock = ManualClock()
    private let queue: InMemoryJobQueue

    init() {
        queue = InMemoryJobQueue(clock: clock)
    }

    private func archiveJob(_ logID: Int64) -> Job {
        JobPayload.archive(LogID(logID)).makeJob(at: clock.now())
    }

    private func aggregateJob(_ logID: Int64) -> Job {
        JobPayload.aggregate(LogID(logID)).makeJob(at: clock.now())
    }

    private func reserveNow(_ names: String...) async throws -> ReservedJob? {
        try await queue.reserve(from: names.map { WeightedQueue($0) }, timeout: .zero)
    }

    @Test("jobs leave a queue in push order")
    func fifo() async throws {
        let jobs = (1...5).map { archiveJob(Int64($0)) }
        await queue.push(jobs)

        var reservedJIDs: [String] = []
        while let reserved = try await reserveNow("archive") {
            reservedJIDs.append(reserved.job.jid)
            await queue.acknowledge(reserved)
        }

        #expect(reservedJIDs == jobs.map(\.jid))
    }

    @Test("queues are separate")
    func queuesSeparate() async throws {
        await queue.push([archiveJob(1), JobPayload.purge(LogID(2)).makeJob(at: clock.now())])

        let fromPurge = try await reserveNow("purge_log")
        let fromPurgeAgain = try await reserveNow("purge_log")

        #expect(fromPurge?.job.className == JobPayload.ClassName.purge)
        #expect(fromPurgeAgain == nil)
        #expect(await queue.jobs(in: "archive").count == 1)
    }

    @Test("push stores Sidekiq JSON with enqueued_at from the clock")
    func pushStoresJSON() async throws {
        let job = archiveJob(3)
        clock.advance(by: .seconds(5))

        try await queue.push(job)

        let payloads = await queue.payloads(in: "archive")
        let stored = try Job(jsonData: Data(try #require(payloads.first).utf8))
        #expect(payloads.count == 1)
        #expect(stored.jid == job.jid)
        #expect(stored.enqueuedAt == clock.now().timeIntervalSince1970)
        #expect(stored.createdAt == job.createdAt)
    }

    @Test("empty queue with zero timeout returns nil")
    func emptyQueue() async throws {
        #expect(try await reserveNow("archive") == nil)
    }

    @Test("scheduled job is due only once the clock passes its time")
    func scheduledJob() async throws {
        let job = archiveJob(1)
        await queue.schedule(job, at: clock.now().addingTimeInterval(60))

        clock.advance(by: .seconds(59))
        let early = try await reserveNow("archive")
        clock.advance(by: .seconds(1))
        let due = try await reserveNow("archive")

        #expect(early == nil)
        #expect(due?.job.jid == job.jid)
        #expect(due?.job.enqueuedAt == clock.now().timeIntervalSince1970)
        #expect(await queue.scheduledJobs().isEmpty)
    }

    @Test("scheduled jobs become due in time order")
    func scheduledOrder() async throws {
        let late = archiveJob(1)
        let early = archiveJob(2)
        await queue.schedule(late, at: clock.now().addingTimeInterval(20))
        await queue.schedule(early, at: clock.now().addingTimeInterval(10))

        clock.advance(by: .seconds(30))
        let first = try await reserveNow("archive")
        let second = try await reserveNow("archive")

        #expect(first?.job.jid == early.jid)
        #expect(second?.job.jid == late.jid)
    }

    @Test("retried job is due only once the clock passes its time")
    func retrySet() async throws {
        try await queue.push(archiveJob(1))
        let reserved = try #require(try await reserveNow("archive"))
        var updated = reserved.job
        updated.retryCount = 0
        updated.errorClass = "E"

        await queue.retry(reserved, as: updated, at: clock.now().addingTimeInterval(30))
        let retrying = await queue.retryJobs()
        clock.advance(by: .seconds(29))
        let early = try await reserveNow("archive")
        clock.advance(by: .seconds(1))
        let due = try await reserveNow("archive")

        #expect(retrying.map(\.job.retryCount) == [0])
        #expect(await queue.inProgressCount() == 1)
        #expect(early == nil)
        #expect(due?.job.jid == reserved.job.jid)
        #expect(due?.job.retryCount == 0)
        #expect(due?.job.errorClass == "E")
        #expect(await queue.retryJobs().isEmpty)
    }

    @Test("aggregate job is unique while queued")
    func uniqueWhileQueued() async throws {
        await queue.push([aggregateJob(7), aggregateJob(7), aggregateJob(8)])
        try await queue.push(aggregateJob(7))

        let jobs = await queue.jobs(in: "aggregate")
        #expect(jobs.count == 2)
        #expect(jobs.map(\.args) == [[7], [8]])
    }

    @Test("aggregate job is unique while scheduled")
    func uniqueWhileScheduled() async throws {
        await queue.schedule(aggregateJob(7), at: clock.now().addingTimeInterval(10))
        await queue.schedule(aggregateJob(7), at: clock.now().addingTimeInterval(20))
        try await queue.push(aggregateJob(7))

        #expect(await queue.scheduledJobs().count == 1)
        #expect(await queue.jobs(in: "aggregate").isEmpty)
    }

    @Test("scheduling is skipped while the same aggregate job is queued")
    func uniqueScheduleWhileQueued() async throws {
        try await queue.push(aggregateJob(7))
        await queue.schedule(aggregateJob(7), at: clock.now().addingTimeInterval(10))

        #expect(await queue.scheduledJobs().isEmpty)
    }

    @Test("new aggregate job is allowed once the first is reserved")
    func uniqueReleasedOnReserve() async throws {
        try await queue.push(aggregateJob(7))
        let reserved = try await reserveNow("aggregate")

        try await queue.push(aggregateJob(7))

        #expect(reserved != nil)
        #expect(await queue.jobs(in: "aggregate").count == 1)
    }

    @Test("timing_info job is unique while queued")
    func timingInfoUnique() async throws {
        let first = JobPayload.timingInfo(JobID(4)).makeJob(at: clock.now())
        let second = JobPayload.timingInfo(JobID(4)).makeJob(at: clock.now())

        await queue.push([first, second])

        #expect(await queue.jobs(in: "timing_info").count == 1)
    }

    @Test("archive jobs are not unique")
    func archiveNotUnique() async throws {
        await queue.push([archiveJob(7), archiveJob(7)])

        #expect(await queue.jobs(in: "archive").count == 2)
    }

    @Test("reserved job stays in progress until acknowledged")
    func inProgressUntilAcknowledged() async throws {
        try await queue.push(archiveJob(1))

        let reserved = try #require(try await reserveNow("archive"))
        let countWhileRunning = await queue.inProgressCount()
        let idleWhileRunning = await queue.isIdle()
        await queue.acknowledge(reserved)

        #expect(countWhileRunning == 1)
        #expect(idleWhileRunning == false)
        #expect(await queue.inProgressCount() == 0)
        #expect(await queue.isIdle())
        #expect(try await reserveNow("archive") == nil)
    }

    @Test("reserved payload is the exact stored JSON")
    func reservedPayload() async throws {
        try await queue.push(archiveJob(1))
        let stored = await queue.payloads(in: "archive")

        let reserved = try #require(try await reserveNow("archive"))

        #expect([reserved.payload] == stored)
    }

    @Test("requeue puts the job at the front of its queue")
    func requeueAtFront() async throws {
        let first = archiveJob(1)
        let second = archiveJob(2)
        await queue.push([first, second])
        let reserved = try #require(try await reserveNow("archive"))

        await queue.requeue(reserved)
        let again = try await reserveNow("archive")

        #expect(reserved.job.jid == first.jid)
        #expect(again?.job.jid == first.jid)
        #expect(again?.payload == reserved.payload)
        #expect(await queue.inProgressCount() == 1)
    }

    @Test("requeued aggregate job keeps its uniqueness")
    func requeueKeepsUniqueness() async throws {
        try await queue.push(aggregateJob(7))
        let reserved = try #require(try await reserveNow("aggregate"))

        await queue.requeue(reserved)
        try await queue.push(aggregateJob(7))

        #expect(await queue.jobs(in: "aggregate").count == 1)
    }

    @Test("recoverInProgress returns the jobs of a dead worker to their queues")
    func recoverInProgress() async throws {
        let first = archiveJob(1)
        let second = archiveJob(2)
        let third = archiveJob(3)
        await queue.push([first, second, third])
        _ = try await reserveNow("archive")
        _ = try await reserveNow("archive")

        await queue.recoverInProgress()

        #expect(await queue.inProgressCount() == 0)
        #expect(await queue.jobs(in: "archive").map(\.jid) == [first.jid, second.jid, third.jid])
    }

    @Test("bury keeps the updated JSON in the dead set")
    func buryKeepsUpdatedJSON() async throws {
        try await queue.push(archiveJob(1))
        let reserved = try #require(try await reserveNow("archive"))
        var updated = reserved.job
        updated.retryCount = 3
        updated.errorClass = "LogsError.archive_missing"
        updated.errorMessage = "no archive"

        await queue.bury(reserved, as: updated)
        let dead = await queue.deadJobs()

        #expect(dead == [updated])
        #expect(await queue.inProgressCount() == 0)
        #expect(try await reserveNow("archive") == nil)
    }

    @Test("weighted fetch follows the weights")
    func weightedFetch() async throws {
        let draws = 400
        await queue.push((0..<draws).map { archiveJob(Int64($0)) })
        await queue.push((0..<draws).map { _ in JobPayload.purge(LogID(1)).makeJob(at: clock.now()) })
        let weighted = [WeightedQueue("archive", weight: 3), WeightedQueue("purge_log", weight: 1)]

        var fromArchive = 0
        for _ in 0..<draws {
            let reserved = try #require(try await queue.reserve(from: weighted, timeout: .zero))
            if reserved.job.queue == "archive" { fromArchive += 1 }
            await queue.acknowledge(reserved)
        }

        // 75% expected; the bounds are about seven standard deviations away at 400 draws.
        let share = Double(fromArchive) / Double(draws)
        #expect(share > 0.6)
        #expect(share < 0.9)
    }

    @Test("fetch order contains each queue asked for once and no other")
    func fetchOrderContents() {
        let weighted = [WeightedQueue("a", weight: 5), WeightedQueue("b", weight: 0), WeightedQueue("c", weight: 2)]
        for _ in 0..<200 {
            let order = InMemoryJobQueue.fetchOrder(weighted)

            #expect(order.sorted() == ["a", "b", "c"])
        }
    }

    @Test("reserve takes only from requested queues")
    func onlyRequestedQueues() async throws {
        await queue.push([archiveJob(1), JobPayload.purge(LogID(1)).makeJob(at: clock.now())])
        try await queue.push(JobPayload.partmanMaintenance.makeJob(at: clock.now()))

        var queues: [String] = []
        while let reserved = try await queue.reserve(
            from: [WeightedQueue("archive", weight: 2), WeightedQueue("maintenance")], timeout: .zero)
        {
            queues.append(reserved.job.queue)
        }

        #expect(queues.sorted() == ["archive", "maintenance"])
        #expect(await queue.jobs(in: "purge_log").count == 1)
    }

    @Test("reserve with a timeout returns a job pushed while it waits")
    func reserveWaitsForPush() async throws {
        let queue = InMemoryJobQueue(clock: SystemClock())
        let job = JobPayload.archive(LogID(1)).makeJob(at: Date())
        let start = ContinuousClock.now

        async let reserved = queue.reserve(from: [WeightedQueue("archive")], timeout: .seconds(60))
        try await Task.sleep(for: .milliseconds(50))
        try await queue.push(job)
        let result = try await reserved

        #expect(result?.job.jid == job.jid)
        #expect(ContinuousClock.now - start < .seconds(30), "reserve waited for its timeout, not for the push")
    }

    @Test("reserve with a timeout returns nil when nothing comes")
    func reserveTimesOut() async throws {
        let queue = InMemoryJobQueue(clock: SystemClock())
        let start = ContinuousClock.now

        let result = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .milliseconds(100))

        #expect(result == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(90))
    }
}
