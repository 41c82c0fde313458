import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite(
    "Drain",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainTests {
    @Test("stores every message shape")
    func storesMessageShapes() async throws {
        let harness = try await DrainHarness("shapes")
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        let encoded = Data("\u{1B}[32mgreen\u{1B}[0m\r\n".utf8).base64EncodedString()
        try await harness.publish(#"{"id": 101, "log": "plain text\n", "number": 1, "final": false, "uuid": "u-1"}"#)
        try await harness.publish(#"{"id": 101, "log": "\#(encoded)", "number": 2, "encoding": "base64"}"#)
        try await harness.publish(
            #"{"id": 101, "log": "", "number": 3, "meta": {"queued_at": "2026-12-04T10:00:00Z"}}"#)
        try await harness.publish(#"{"id": 101, "log": "", "number": "last", "final": true}"#)
        try await harness.wait("four stored parts") { try await harness.storedParts().count == 4 }
        drain.stop()
        await running.value

        let parts = try await harness.storedParts().sorted { $0.number.storedValue < $1.number.storedValue }
        let contents = try parts.map { String(decoding: try PartNormalizer().contentBytes(of: $0), as: UTF8.self) }
        #expect(parts.allSatisfy { $0.jobID == JobID(101) })
        #expect(parts.allSatisfy { $0.encoding == "base64" })
        #expect(contents == ["plain text\n", "\u{1B}[32mgreen\u{1B}[0m\r\n", "", ""])
        #expect(parts.map(\.number) == [.number(1), .number(2), .number(3), .last])
        #expect(parts.map(\.isFinal) == [false, false, false, true])
        #expect(parts[0].uuid == "u-1")
        #expect(parts[2].meta == ["queued_at": "2026-12-04T10:00:00Z"])
        #expect(try await harness.forwardedParts().count == 4)
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }

    @Test("batches by size")
    func batchesBySize() async throws {
        let harness = try await DrainHarness("size") {
            $0.consumerCount = 1
            $0.batchSize = 3
            $0.batchInterval = .seconds(60)
        }
        for number in 1...7 {
            try await harness.publish(#"{"id": 7, "log": "line \#(number)", "number": \#(number)}"#)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await harness.wait("two full batches") { try await harness.storedBatches().count == 2 }
        #expect(try await harness.storedBatches().map(\.count) == [3, 3])
        drain.stop()
        await running.value

        // Stopping stores the partial batch.
        let batches = try await harness.storedBatches()
        #expect(batches.map(\.count) == [3, 3, 1])
        #expect(batches.flatMap { $0 }.map(\.number.storedValue) == Array(1...7))
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }

    @Test("batches by interval")
    func batchesByInterval() async throws {
        let harness = try await DrainHarness("interval") {
            $0.consumerCount = 1
            $0.batchSize = 100
            $0.batchInterval = .milliseconds(300)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await harness.publish(#"{"id": 8, "log": "a", "number": 1}"#)
        try await harness.publish(#"{"id": 8, "log": "b", "number": 2}"#)
        // The batch is far from full, so only its 300 ms interval can store it before the stop.
        try await harness.wait("a batch stored by time") { try await harness.storedParts().count == 2 }
        #expect(try await harness.storedBatches().count == 1)
        drain.stop()
        await running.value
        try await harness.cleanUp()
    }

    @Test("stores a partial batch once no message arrives for the idle time")
    func batchesWhenIdle() async throws {
        let harness = try await DrainHarness("idle") {
            $0.consumerCount = 1
            $0.batchSize = 10
            $0.batchInterval = .seconds(600)
            $0.batchIdleTime = .milliseconds(150)
        }
        // Waiting messages fill batches although the idle time is short; the rest is stored after it.
        for number in 1...25 {
            try await harness.publish(#"{"id": 10, "log": "line \#(number)", "number": \#(number)}"#)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await harness.wait("25 stored parts") { try await harness.storedParts().count == 25 }
        #expect(try await harness.storedBatches().map(\.count) == [10, 10, 5])
        try await harness.publish(#"{"id": 10, "log": "late", "number": 26}"#)
        try await harness.wait("the late part stored alone") { try await harness.storedBatches().count == 4 }
        #expect(try await harness.storedBatches().last?.map(\.number.storedValue) == [26])
        drain.stop()
        await running.value
        try await harness.cleanUp()
    }

    @Test("forwarding job collects parts within its wait")
    func forwardingJobCollectsParts() async throws {
        let harness = try await DrainHarness("forwarding-wait") {
            $0.consumerCount = 1
            $0.batchSize = 100
            $0.batchInterval = .seconds(600)
            $0.batchIdleTime = .seconds(600)
            $0.forwardingWait = .milliseconds(500)
            $0.forwardingQuietGap = .milliseconds(300)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        let started = ContinuousClock.now
        for number in 1...3 {
            try await harness.publish(#"{"id": 11, "log": "line \#(number)", "number": \#(number)}"#)
            try await Task.sleep(for: .milliseconds(40))
        }
        try await harness.wait("three forwarded parts") { try await harness.forwardedParts().count == 3 }
        // The parts arrived within the wait, so they went out as one job, long before the batch.
        #expect(try await harness.forwardingJobs().map { $0.map(\.number.storedValue) } == [[1, 2, 3]])
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try await harness.storedBatches().isEmpty)
        drain.stop()
        await running.value
        #expect(try await harness.storedParts().count == 3)
        try await harness.cleanUp()
    }

    @Test("lone part forwarded after the quiet gap")
    func lonePartForwardedAfterQuietGap() async throws {
        let harness = try await DrainHarness("forwarding-quiet") {
            $0.consumerCount = 1
            $0.batchSize = 100
            $0.batchInterval = .seconds(600)
            $0.batchIdleTime = .seconds(600)
            $0.forwardingWait = .seconds(600)
            $0.forwardingQuietGap = .milliseconds(50)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        let started = ContinuousClock.now
        try await harness.publish(#"{"id": 13, "log": "alone", "number": 1}"#)
        try await harness.wait("the lone part forwarded") { try await harness.forwardedParts().count == 1 }
        #expect(ContinuousClock.now - started < .seconds(5))
        try await harness.publish(#"{"id": 13, "log": "next", "number": 2}"#)
        try await harness.wait("the next part forwarded") { try await harness.forwardedParts().count == 2 }
        #expect(try await harness.forwardingJobs().map(\.count) == [1, 1])
        drain.stop()
        await running.value
        try await harness.cleanUp()
    }

    @Test("zero forwarding wait forwards each read")
    func zeroForwardingWait() async throws {
        let harness = try await DrainHarness("forwarding-now") {
            $0.consumerCount = 1
            $0.batchSize = 100
            $0.batchInterval = .seconds(600)
            $0.batchIdleTime = .seconds(600)
            $0.forwardingWait = .zero
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await harness.publish(#"{"id": 12, "log": "first", "number": 1}"#)
        try await harness.wait("the first part forwarded") { try await harness.forwardedParts().count == 1 }
        try await harness.publish(#"{"id": 12, "log": "second", "number": 2}"#)
        try await harness.wait("the second part forwarded") { try await harness.forwardedParts().count == 2 }
        #expect(try await harness.forwardingJobs().map(\.count) == [1, 1])
        drain.stop()
        await running.value
        try await harness.cleanUp()
    }

    @Test("forwards watched jobs only")
    func forwardsWatchedJobsOnly() async throws {
        let harness = try await DrainHarness("filter") { $0.consumerCount = 1 }
        // Job ids of this run only, because presence keys are not in the harness's namespace.
        let base = Int64.random(in: 1_000_000_000...2_000_000_000)
        let (occupied, streamed, unwatched) = (JobID(base), JobID(base + 1), JobID(base + 2))
        let presence = RedisChannelPresence(pool: harness.pool)
        let audience = RedisLiveStreamAudience(pool: harness.pool, channel: harness.namespace + ":live")
        try await presence.markOccupied(LogPartEvent.channel(for: occupied, isPrivate: false))
        try await audience.markWatched([streamed])
        let filter = DrainForwardingFilter(
            presence: presence, audience: audience, usesPrivateChannels: false, logger: harness.logger)
        let drain = try harness.makeDrain(forwardingFilter: filter)
        let running = harness.start(drain)
        for number in 1...4 {
            for job in [occupied, streamed, unwatched] {
                try await harness.publish(#"{"id": \#(job.rawValue), "log": "line", "number": \#(number)}"#)
            }
        }
        try await harness.wait("twelve stored parts") { try await harness.storedParts().count == 12 }
        drain.stop()
        await running.value

        let forwarded = try await harness.forwardedParts()
        #expect(Set(forwarded.map(\.jobID)) == [occupied, streamed])
        #expect(forwarded.count == 8)
        #expect(harness.counter("travis_logs_drain_parts_unwatched_total") == 4)
        #expect(try await harness.readyMessages() == 0)
        try await presence.markVacant(LogPartEvent.channel(for: occupied, isPrivate: false))
        try await RedisTestServer.deleteKeys(prefix: harness.namespace + ":live", in: harness.pool)
        try await harness.cleanUp()
    }

    @Test("stop stores and acknowledges the batch")
    func stopFlushesBatch() async throws {
        let harness = try await DrainHarness("stop") {
            $0.batchSize = 1000
            $0.batchInterval = .seconds(600)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        for number in 1...5 {
            try await harness.publish(#"{"id": 9, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("five forwarded parts") { try await harness.forwardedParts().count == 5 }
        #expect(try await harness.storedParts().isEmpty)
        drain.stop()
        await running.value

        #expect(try await harness.storedParts().map(\.number.storedValue).sorted() == [1, 2, 3, 4, 5])
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }
}
