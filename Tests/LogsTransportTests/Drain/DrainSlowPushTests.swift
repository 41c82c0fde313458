import Foundation
import LogsCore
import Synchronization
import TestSupport
import Testing

@testable import LogsTransport

@Suite(
    "Drain slow push",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainSlowPushTests {
    @Test("held push keeps its batch unacknowledged")
    func heldPushKeepsBatch() async throws {
        let harness = try await DrainHarness("held") {
            $0.consumerCount = 1
            $0.batchSize = 5
            $0.prefetch = 20
            $0.batchInterval = .seconds(60)
        }
        for number in 1...10 {
            try await harness.publish(#"{"id": 14, "log": "x", "number": \#(number)}"#)
        }
        let gate = GatedJobQueue(base: harness.jobQueue)
        let drain = try harness.makeDrain(queue: gate)
        let running = harness.start(drain)
        try await harness.wait("a held push") { gate.heldPushes == 1 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(harness.counter("travis_logs_drain_parts_queued_total") == 0)
        #expect(try await harness.storedParts().isEmpty)

        gate.open()
        try await harness.wait("every part stored") { try await harness.storedParts().count == 10 }
        drain.stop()
        await running.value

        let batches = try await harness.storedBatches()
        #expect(batches.map(\.count) == [5, 5])
        #expect(batches.flatMap { $0 }.map(\.number.storedValue).sorted() == Array(1...10))
        #expect(try await harness.forwardedParts().map(\.number.storedValue).sorted() == Array(1...10))
        #expect(try await harness.readyMessages() == 0)
        #expect(harness.counter("travis_logs_drain_reconnects_total") == 0)
        try await harness.cleanUp()
    }

    @Test("stop waits for the push in flight")
    func stopWaitsForPush() async throws {
        let harness = try await DrainHarness("stop-held") {
            $0.consumerCount = 1
            $0.batchSize = 3
            $0.batchInterval = .seconds(60)
        }
        let gate = GatedJobQueue(base: harness.jobQueue)
        let drain = try harness.makeDrain(queue: gate)
        let running = harness.start(drain)
        for number in 1...3 {
            try await harness.publish(#"{"id": 15, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("a held push") { gate.heldPushes == 1 }
        drain.stop()
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await harness.storedParts().isEmpty)
        gate.open()
        await running.value

        #expect(try await harness.storedParts().map(\.number.storedValue).sorted() == [1, 2, 3])
        // Unacknowledged messages would be ready again once the drain's connection closed.
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }
}

/// A job queue that delays every `log_parts` push until `open()`, standing in for a slow Redis.
final class GatedJobQueue: ForwardingJobQueue {
    private struct State {
        var isOpen = false
        var heldPushes = 0
    }

    let base: any JobQueue
    private let state = Mutex(State())

    init(base: any JobQueue) {
        self.base = base
    }

    /// The `log_parts` pushes that had to wait for `open()`.
    var heldPushes: Int { state.withLock { $0.heldPushes } }

    func open() {
        state.withLock { $0.isOpen = true }
    }

    func push(_ jobs: [Job]) async throws {
        if jobs.contains(where: { $0.queue == "log_parts" }) {
            var isOpen = state.withLock { state in
                if !state.isOpen { state.heldPushes += 1 }
                return state.isOpen
            }
            while !isOpen {
                try await Task.sleep(for: .milliseconds(10))
                isOpen = state.withLock { $0.isOpen }
            }
        }
        try await base.push(jobs)
    }
}
