import LogsCore
import Synchronization
import Testing

@Suite("Group commit queue", .timeLimit(.minutes(1)))
struct GroupCommitQueueTests {
    /// Holds the first batch open until the test has queued the requests it wants behind it.
    private actor Gate {
        private var isOpen = false
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func wait() async {
            if isOpen { return }
            await withCheckedContinuation { waiters.append($0) }
        }

        func open() {
            isOpen = true
            for waiter in waiters { waiter.resume() }
            waiters.removeAll()
        }
    }

    /// The batches the operation was called with, in call order.
    private final class BatchRecorder: Sendable {
        private let recorded = Mutex<[[Int]]>([])

        /// Records a batch and returns whether it is the first.
        func record(_ batch: [Int]) -> Bool {
            recorded.withLock { recorded in
                recorded.append(batch)
                return recorded.count == 1
            }
        }

        var batches: [[Int]] { recorded.withLock { $0 } }
    }

    private struct Harness {
        let gate = Gate()
        let recorder = BatchRecorder()
        let queue: GroupCommitQueue<Int, Int>

        init(maximumBatchWeight: Int = 100, failing: Bool = false) {
            let gate = self.gate
            let recorder = self.recorder
            queue = GroupCommitQueue(maximumBatchWeight: maximumBatchWeight) { requests in
                let isFirst = recorder.record(requests)
                if isFirst { await gate.wait() }
                if failing && !isFirst { throw BatchFailure() }
                return requests.map { $0 * 10 }
            }
        }

        /// Submits 0 and waits until its batch runs, then submits `requests` and waits until they
        /// all wait behind it.
        func submitBehindFirstBatch(_ requests: [Int]) async throws -> [Task<Int, any Error>] {
            let queue = self.queue
            let first = Task { try await queue.submit(0) }
            while recorder.batches.isEmpty { await Task.yield() }
            let later = requests.map { request in Task { try await queue.submit(request) } }
            while queue.waitingCount < requests.count { await Task.yield() }
            return [first] + later
        }
    }

    private struct BatchFailure: Error {}

    @Test("requests behind a batch share the next one")
    func requestsShareBatch() async throws {
        let harness = Harness()
        let tasks = try await harness.submitBehindFirstBatch([1, 2, 3, 4, 5])
        await harness.gate.open()

        for (index, task) in tasks.enumerated() {
            #expect(try await task.value == index * 10)
        }
        let batches = harness.recorder.batches
        #expect(batches.count == 2)
        #expect(batches.first == [0])
        #expect(batches.last.map { Set($0) } == [1, 2, 3, 4, 5])
    }

    @Test("batch error reaches each caller")
    func batchError() async throws {
        let harness = Harness(failing: true)
        let tasks = try await harness.submitBehindFirstBatch([1, 2])
        await harness.gate.open()

        #expect(try await tasks[0].value == 0)
        for task in tasks.dropFirst() {
            await #expect(throws: BatchFailure.self) { try await task.value }
        }
    }

    @Test("maximum weight splits batches")
    func maximumWeight() async throws {
        let harness = Harness(maximumBatchWeight: 3)
        let tasks = try await harness.submitBehindFirstBatch([1, 2, 3, 4])
        await harness.gate.open()

        for task in tasks { _ = try await task.value }
        let sizes = harness.recorder.batches.map(\.count)
        #expect(sizes == [1, 3, 1])
    }
}
