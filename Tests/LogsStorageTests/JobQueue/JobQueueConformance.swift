import Foundation
import LogsCore
import Testing

/// A `JobQueue` whose state the conformance checks can read.
protocol InspectableJobQueue: JobQueue {
    func payloads(in queue: String) async throws -> [String]
    func jobs(in queue: String) async throws -> [Job]
    func scheduledJobs() async throws -> [(due: Date, job: Job)]
    func retryJobs() async throws -> [(due: Date, job: Job)]
    func deadJobs() async throws -> [Job]
    func inProgressCount() async throws -> Int
    func isIdle() async throws -> Bool
}

extension InMemoryJobQueue: InspectableJobQueue {}

/// The behaviour every `JobQueue` must show, as checks that run against any queue.
///
/// Each check gets a fresh, empty queue on the clock it is given: a `ManualClock` for checks of
/// due times, the system clock for checks of waiting. The queue suites pass `checkNames` to a
/// parameterized test so each check reports on its own.
enum JobQueueConformance {
    struct Context {
        var queue: any InspectableJobQueue
        var clock: ManualClock

        func archiveJob(_ logID: Int64) -> Job {
            JobPayload.archive(LogID(logID)).makeJob(at: clock.now())
        }

        func aggregateJob(_ logID: Int64) -> Job {
            JobPayload.aggregate(LogID(logID)).makeJob(at: clock.now())
        }

        func purgeJob(_ logID: Int64) -> Job {
            JobPayload.purge(LogID(logID)).makeJob(at: clock.now())
        }

        func reserveNow(_ names: String...) async throws -> ReservedJob? {
            try await queue.reserve(from: names.map { WeightedQueue($0) }, timeout: .zero)
        }
    }

    typealias MakeQueue = @Sendable (any LogsClock) async throws -> any InspectableJobQueue
    typealias Check = @Sendable (Context) async throws -> Void
    typealias SystemClockCheck = @Sendable (any InspectableJobQueue) async throws -> Void

    static let checks: [(name: String, body: Check)] = [
        ("jobs leave a queue in push order", fifo),
        ("queues are separate", queuesSeparate),
        ("push stores JSON with enqueued_at", pushStoresJSON),
        ("empty queue with zero timeout", emptyQueue),
        ("scheduled job due at its time", scheduledJob),
        ("scheduled jobs due in time order", scheduledOrder),
        ("retried job due at its time", retrySet),
        ("aggregate job unique while queued", uniqueWhileQueued),
        ("aggregate job unique while scheduled", uniqueWhileScheduled),
        ("schedule skipped while same job queued", uniqueScheduleWhileQueued),
        ("unique key released on reserve", uniqueReleasedOnReserve),
        ("timing_info job unique while queued", timingInfoUnique),
        ("archive jobs are not unique", archiveNotUnique),
        ("job in progress until acknowledged", inProgressUntilAcknowledged),
        ("reserved payload is the stored JSON", reservedPayload),
        ("requeue puts the job at the front", requeueAtFront),
        ("requeued aggregate job keeps uniqueness", requeueKeepsUniqueness),
        ("bury keeps the updated JSON", buryKeepsUpdatedJSON),
        ("weighted fetch follows the weights", weightedFetch),
        ("reserve takes only requested queues", onlyRequestedQueues),
    ]

    static let systemClockChecks: [(name: String, body: SystemClockCheck)] = [
        ("reserve returns a job pushed while waiting", reserveWaitsForPush),
        ("reserve returns nil after its timeout", reserveTimesOut),
    ]

    static let checkNames = checks.map(\.name) + systemClockChecks.map(\.name)

    /// Runs the named check on a fresh queue from `makeQueue`, then `cleanUp` with that queue.
    static func run(
        _ name: String, makeQueue: MakeQueue, cleanUp: (any InspectableJobQueue) async -> Void = { _ in }
    ) async throws {
        if let check = checks.first(where: { $0.name == name }) {
            let clock = ManualClock()
            let queue = try await makeQueue(clock)
            do {
                try await check.body(Context(queue: queue, clock: clock))
            } catch {
                await cleanUp(queue)
                throw error
            }
            await cleanUp(queue)
            return
        }
        let check = try #require(systemClockChecks.first { $0.name == name }, "no conformance check named \(name)")
        let queue = try await makeQueue(SystemClock())
        do {
            try await check.body(queue)
        } catch {
            await cleanUp(queue)
            throw error
        }
        await cleanUp(queue)
    }

    // MARK: - Order and queues

    static func fifo(_ context: Context) async throws {
        let jobs = (1...5).map { context.archiveJob(Int64($0)) }
        try await context.queue.push(jobs)

        var reservedJIDs: [String] = []
        while let reserved = try await context.reserveNow("archive") {
            reservedJIDs.append(reserved.job.jid)
            try await context.queue.acknowledge(reserved)
        }

        #expect(reservedJIDs == jobs.map(\.jid))
    }

    static func queuesSeparate(_ context: Context) async throws {
        try await context.queue.push([context.archiveJob(1), context.purgeJob(2)])

        let fromPurge = try await context.reserveNow("purge_log")
        let fromPurgeAgain = try await context.reserveNow("purge_log")

        #expect(fromPurge?.job.className == JobPayload.ClassName.purge)
        #expect(fromPurgeAgain == nil)
        #expect(try await context.queue.jobs(in: "archive").count == 1)
    }

    static func pushStoresJSON(_ context: Context) async throws {
        let job = context.archiveJob(3)
        context.clock.advance(by: .seconds(5))

        try await context.queue.push(job)

        let payloads = try await context.queue.payloads(in: "archive")
        let stored = try Job(jsonData: Data(try #require(payloads.first).utf8))
        #expect(payloads.count == 1)
        #expect(stored.jid == job.jid)
        #expect(stored.enqueuedAt == context.clock.now().timeIntervalSince1970)
        #expect(stored.createdAt == job.createdAt)
    }

    static func emptyQueue(_ context: Context) async throws {
        #expect(try await context.reserveNow("archive") == nil)
    }

    static func weightedFetch(_ context: Context) async throws {
        let draws = 400
        try await context.queue.push((0..<draws).map { context.archiveJob(Int64($0)) })
        try await context.queue.push((0..<draws).map { _ in context.purgeJob(1) })
        let weighted = [WeightedQueue("archive", weight: 3), WeightedQueue("purge_log", weight: 1)]

        var fromArchive = 0
        for _ in 0..<draws {
            let reserved = try #require(try await context.queue.reserve(from: weighted, timeout: .zero))
            if reserved.job.queue == "archive" { fromArchive += 1 }
            try await context.queue.acknowledge(reserved)
        }

        // 75% expected; the bounds are about seven standard deviations away at 400 draws.
        let share = Double(fromArchive) / Double(draws)
        #expect(share > 0.6)
        #expect(share < 0.9)
    }

    static func onlyRequestedQueues(_ context: Context) async throws {
        try await context.queue.push([context.archiveJob(1), context.purgeJob(1)])
        try await context.queue.push(JobPayload.partmanMaintenance.makeJob(at: context.clock.now()))

        var queues: [String] = []
        while let reserved = try await context.queue.reserve(
            from: [WeightedQueue("archive", weight: 2), WeightedQueue("maintenance")], timeout: .zero)
        {
            queues.append(reserved.job.queue)
        }

        #expect(queues.sorted() == ["archive", "maintenance"])
        #expect(try await context.queue.jobs(in: "purge_log").count == 1)
    }

    // MARK: - Schedule and retry

    static func scheduledJob(_ context: Context) async throws {
        let job = context.archiveJob(1)
        try await context.queue.schedule(job, at: context.clock.now().addingTimeInterval(60))

        context.clock.advance(by: .seconds(59))
        let early = try await context.reserveNow("archive")
        context.clock.advance(by: .seconds(1))
        let due = try await context.reserveNow("archive")

        #expect(early == nil)
        #expect(due?.job.jid == job.jid)
        #expect(due?.job.enqueuedAt == context.clock.now().timeIntervalSince1970)
        #expect(try await context.queue.scheduledJobs().isEmpty)
    }

    static func scheduledOrder(_ context: Context) async throws {
        let late = context.archiveJob(1)
        let early = context.archiveJob(2)
        try await context.queue.schedule(late, at: context.clock.now().addingTimeInterval(20))
        try await context.queue.schedule(early, at: context.clock.now().addingTimeInterval(10))

        context.clock.advance(by: .seconds(30))
        let first = try await context.reserveNow("archive")
        let second = try await context.reserveNow("archive")

        #expect(first?.job.jid == early.jid)
        #expect(second?.job.jid == late.jid)
    }

    static func retrySet(_ context: Context) async throws {
        try await context.queue.push(context.archiveJob(1))
        let reserved = try #require(try await context.reserveNow("archive"))
        var updated = reserved.job
        updated.retryCount = 0
        updated.errorClass = "E"

        try await context.queue.retry(reserved, as: updated, at: context.clock.now().addingTimeInterval(30))
        let retrying = try await context.queue.retryJobs()
        let inProgressWhileRetrying = try await context.queue.inProgressCount()
        context.clock.advance(by: .seconds(29))
        let early = try await context.reserveNow("archive")
        context.clock.advance(by: .seconds(1))
        let due = try await context.reserveNow("archive")

        #expect(retrying.map(\.job.retryCount) == [0])
        #expect(inProgressWhileRetrying == 0)
        #expect(early == nil)
        #expect(due?.job.jid == reserved.job.jid)
        #expect(due?.job.retryCount == 0)
        #expect(due?.job.errorClass == "E")
        #expect(try await context.queue.retryJobs().isEmpty)
        #expect(try await context.queue.inProgressCount() == 1)
    }

    // MARK: - Unique jobs

    static func uniqueWhileQueued(_ context: Context) async throws {
        try await context.queue.push([context.aggregateJob(7), context.aggregateJob(7), context.aggregateJob(8)])
        try await context.queue.push(context.aggregateJob(7))

        let jobs = try await context.queue.jobs(in: "aggregate")
        #expect(jobs.count == 2)
        #expect(jobs.map(\.args) == [[7], [8]])
    }

    static func uniqueWhileScheduled(_ context: Context) async throws {
        try await context.queue.schedule(context.aggregateJob(7), at: context.clock.now().addingTimeInterval(10))
        try await context.queue.schedule(context.aggregateJob(7), at: context.clock.now().addingTimeInterval(20))
        try await context.queue.push(context.aggregateJob(7))

        #expect(try await context.queue.scheduledJobs().count == 1)
        #expect(try await context.queue.jobs(in: "aggregate").isEmpty)
    }

    static func uniqueScheduleWhileQueued(_ context: Context) async throws {
        try await context.queue.push(context.aggregateJob(7))
        try await context.queue.schedule(context.aggregateJob(7), at: context.clock.now().addingTimeInterval(10))

        #expect(try await context.queue.scheduledJobs().isEmpty)
    }

    static func uniqueReleasedOnReserve(_ context: Context) async throws {
        try await context.queue.push(context.aggregateJob(7))
        let reserved = try await context.reserveNow("aggregate")

        try await context.queue.push(context.aggregateJob(7))

        #expect(reserved != nil)
        #expect(try await context.queue.jobs(in: "aggregate").count == 1)
    }

    static func timingInfoUnique(_ context: Context) async throws {
        let first = JobPayload.timingInfo(JobID(4)).makeJob(at: context.clock.now())
        let second = JobPayload.timingInfo(JobID(4)).makeJob(at: context.clock.now())

        try await context.queue.push([first, second])

        #expect(try await context.queue.jobs(in: "timing_info").count == 1)
    }

    static func archiveNotUnique(_ context: Context) async throws {
        try await context.queue.push([context.archiveJob(7), context.archiveJob(7)])

        #expect(try await context.queue.jobs(in: "archive").count == 2)
    }

    // MARK: - In progress

    static func inProgressUntilAcknowledged(_ context: Context) async throws {
        try await context.queue.push(context.archiveJob(1))

        let reserved = try #require(try await context.reserveNow("archive"))
        let countWhileRunning = try await context.queue.inProgressCount()
        let idleWhileRunning = try await context.queue.isIdle()
        try await context.queue.acknowledge(reserved)

        #expect(countWhileRunning == 1)
        #expect(idleWhileRunning == false)
        #expect(try await context.queue.inProgressCount() == 0)
        #expect(try await context.queue.isIdle())
        #expect(try await context.reserveNow("archive") == nil)
    }

    static func reservedPayload(_ context: Context) async throws {
        try await context.queue.push(context.archiveJob(1))
        let stored = try await context.queue.payloads(in: "archive")

        let reserved = try #require(try await context.reserveNow("archive"))

        #expect([reserved.payload] == stored)
    }

    static func requeueAtFront(_ context: Context) async throws {
        let first = context.archiveJob(1)
        let second = context.archiveJob(2)
        try await context.queue.push([first, second])
        let reserved = try #require(try await context.reserveNow("archive"))

        try await context.queue.requeue(reserved)
        let again = try await context.reserveNow("archive")

        #expect(reserved.job.jid == first.jid)
        #expect(again?.job.jid == first.jid)
        #expect(again?.payload == reserved.payload)
        #expect(try await context.queue.inProgressCount() == 1)
    }

    static func requeueKeepsUniqueness(_ context: Context) async throws {
        try await context.queue.push(context.aggregateJob(7))
        let reserved = try #require(try await context.reserveNow("aggregate"))

        try await context.queue.requeue(reserved)
        try await context.queue.push(context.aggregateJob(7))

        #expect(try await context.queue.jobs(in: "aggregate").count == 1)
    }

    static func buryKeepsUpdatedJSON(_ context: Context) async throws {
        try await context.queue.push(context.archiveJob(1))
        let reserved = try #require(try await context.reserveNow("archive"))
        var updated = reserved.job
        updated.retryCount = 3
        updated.errorClass = "LogsError.archive_missing"
        updated.errorMessage = "no archive"

        try await context.queue.bury(reserved, as: updated)
        let dead = try await context.queue.deadJobs()

        #expect(dead == [updated])
        #expect(try await context.queue.inProgressCount() == 0)
        #expect(try await context.reserveNow("archive") == nil)
    }

    // MARK: - Waiting, on the system clock

    static func reserveWaitsForPush(_ queue: any InspectableJobQueue) async throws {
        let job = JobPayload.archive(LogID(1)).makeJob(at: Date())
        let start = ContinuousClock.now

        async let reserved = queue.reserve(from: [WeightedQueue("archive")], timeout: .seconds(60))
        try await Task.sleep(for: .milliseconds(50))
        try await queue.push(job)
        let result = try await reserved

        #expect(result?.job.jid == job.jid)
        #expect(ContinuousClock.now - start < .seconds(30), "reserve waited for its timeout, not for the push")
    }

    static func reserveTimesOut(_ queue: any InspectableJobQueue) async throws {
        let start = ContinuousClock.now

        let result = try await queue.reserve(from: [WeightedQueue("archive")], timeout: .milliseconds(100))

        #expect(result == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(90))
    }
}
