import Foundation
import Testing

@testable import LogsCore

/// Behaviour of the in-memory queue alone. The behaviour every `JobQueue` shares is checked by
/// the job queue conformance suites of LogsStorageTests.
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

    private func reserveNow(_ names: String...) async throws -> ReservedJob? {
        try await queue.reserve(from: names.map { WeightedQueue($0) }, timeout: .zero)
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

    @Test("fetch order contains each queue asked for once and no other")
    func fetchOrderContents() {
        let weighted = [WeightedQueue("a", weight: 5), WeightedQueue("b", weight: 0), WeightedQueue("c", weight: 2)]
        for _ in 0..<200 {
            let order = InMemoryJobQueue.fetchOrder(weighted)

            #expect(order.sorted() == ["a", "b", "c"])
        }
    }
}
