import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite(
    "Drain faults",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainFaultTests {
    @Test("intermittent push failures lose nothing")
    func intermittentPushFailures() async throws {
        let harness = try await DrainHarness("flaky") {
            $0.consumerCount = 3
            $0.batchSize = 25
            $0.prefetch = 50
        }
        let flaky = FailingJobQueue(base: harness.jobQueue, failingEvery: 4)
        let drain = try harness.makeDrain(queue: flaky)
        let running = harness.start(drain)
        let expected = Set((1...40).flatMap { job in (1...50).map { JobPart(jobID: job, number: $0) } })
        for part in expected.sorted() {
            try await harness.publish(#"{"id": \#(part.jobID), "log": "line", "number": \#(part.number)}"#)
        }
        try await harness.wait(for: .seconds(60), "every part stored") {
            Set(try await harness.storedParts().map(JobPart.init)) == expected
        }
        drain.stop()
        await running.value

        #expect(harness.counter("travis_logs_drain_push_failures_total", labels: ["queue": "log_parts"]) > 0)
        #expect(try await harness.readyMessages() == 0)
        // A second acknowledgement of a tag would close the channel with 406 and force a reconnect.
        #expect(harness.counter("travis_logs_drain_reconnects_total") == 0)
        try await harness.cleanUp()
    }

    @Test("unavailable queue stops acknowledgements")
    func unavailableQueueHoldsMessages() async throws {
        let harness = try await DrainHarness("backpressure") { $0.batchSize = 5 }
        let failing = FailingJobQueue(base: harness.jobQueue)
        failing.setFailsAll(true)
        let drain = try harness.makeDrain(queue: failing)
        let running = harness.start(drain)
        for number in 1...20 {
            try await harness.publish(#"{"id": 12, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("failed pushes") {
            harness.counter("travis_logs_drain_push_failures_total", labels: ["queue": "log_parts"]) >= 4
        }
        #expect(try await harness.storedParts().isEmpty)
        #expect(harness.counter("travis_logs_drain_parts_queued_total") == 0)

        failing.setFailsAll(false)
        try await harness.wait("every part stored") {
            Set(try await harness.storedParts().map(\.number.storedValue)) == Set(1...20)
        }
        drain.stop()
        await running.value
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }
}

/// A part's identity: its job and number.
struct JobPart: Hashable, Comparable {
    var jobID: Int64
    var number: Int

    init(jobID: Int64, number: Int) {
        self.jobID = jobID
        self.number = number
    }

    init(_ part: RawLogPart) {
        self.init(jobID: part.jobID.rawValue, number: part.number.storedValue)
    }

    static func < (left: JobPart, right: JobPart) -> Bool {
        (left.jobID, left.number) < (right.jobID, right.number)
    }
}
