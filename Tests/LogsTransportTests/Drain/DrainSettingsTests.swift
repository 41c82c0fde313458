import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

@Suite("Drain settings")
struct DrainSettingsTests {
    @Test("interval variables set health and slow flush")
    func readsIntervals() throws {
        let configuration = try LogsConfiguration(environment: [
            "TRAVIS_LOGS_DRAIN_LOOP_SLEEP_INTERVAL": "7",
            "TRAVIS_LOGS_DRAIN_TIMEOUT_INTERVAL": "2",
        ])
        let settings = DrainSettings(configuration: configuration)
        #expect(settings.healthCheckInterval == .seconds(7))
        #expect(settings.slowFlushThreshold == .seconds(2))
    }

    @Test("defaults match the original's")
    func readsDefaults() throws {
        let settings = DrainSettings(configuration: try LogsConfiguration(environment: [:]))
        #expect(settings.healthCheckInterval == .seconds(10))
        #expect(settings.slowFlushThreshold == .seconds(3))
        #expect(settings.batchIdleTime == .milliseconds(100))
    }

    @Test("a batch idle time of zero waits for the interval")
    func readsIdleTime() throws {
        let short = try LogsConfiguration(environment: ["TRAVIS_LOGS_DRAIN_BATCH_IDLE_TIME": "0.25"])
        #expect(DrainSettings(configuration: short).batchIdleTime == .milliseconds(250))
        let off = try LogsConfiguration(environment: ["TRAVIS_LOGS_DRAIN_BATCH_IDLE_TIME": "0"])
        #expect(DrainSettings(configuration: off).batchIdleTime == nil)
        #expect(throws: ConfigurationError.self) {
            try LogsConfiguration(environment: ["TRAVIS_LOGS_DRAIN_BATCH_IDLE_TIME": "soon"])
        }
    }

    @Test("forwarding wait read in seconds")
    func readsForwardingWait() throws {
        let defaults = try LogsConfiguration(environment: [:])
        #expect(DrainSettings(configuration: defaults).forwardingWait == .milliseconds(10))
        let longer = try LogsConfiguration(environment: ["TRAVIS_LOGS_DRAIN_FORWARDING_WAIT": "0.05"])
        #expect(DrainSettings(configuration: longer).forwardingWait == .milliseconds(50))
        let off = try LogsConfiguration(environment: ["TRAVIS_LOGS_DRAIN_FORWARDING_WAIT": "0"])
        #expect(DrainSettings(configuration: off).forwardingWait == .zero)
        #expect(throws: ConfigurationError.self) {
            try LogsConfiguration(environment: ["TRAVIS_LOGS_DRAIN_FORWARDING_WAIT": "-1"])
        }
    }
}

@Suite("Drain batch timing")
struct DrainBatchTimingTests {
    private func append(_ tag: UInt64, to batch: inout DrainBatch, at now: ContinuousClock.Instant) {
        var written = PartListJSON()
        let range = written.append(RawLogPart(jobID: JobID(1), log: "x", number: .number(Int(tag))))
        batch.append(from: written, at: range, deliveryTag: tag, at: now)
    }

    @Test("a batch is idle once no part arrived for the idle time")
    func idleSinceLastPart() {
        let start = ContinuousClock.now
        var batch = DrainBatch()
        #expect(!batch.isIdle(for: .milliseconds(100), now: start + .seconds(1)))
        #expect(batch.remainingTime(of: .seconds(3), idleTime: .milliseconds(100), now: start) == nil)
        append(1, to: &batch, at: start)
        append(2, to: &batch, at: start + .milliseconds(80))
        #expect(!batch.isIdle(for: .milliseconds(100), now: start + .milliseconds(150)))
        #expect(batch.isIdle(for: .milliseconds(100), now: start + .milliseconds(180)))
        #expect(!batch.isIdle(for: nil, now: start + .seconds(60)))
        // The wait ends at the idle time after the last part, before the interval.
        #expect(
            batch.remainingTime(of: .seconds(3), idleTime: .milliseconds(100), now: start + .milliseconds(100))
                == .milliseconds(80))
        #expect(batch.remainingTime(of: .seconds(3), now: start + .milliseconds(100)) == .milliseconds(2900))
        // The interval still bounds a batch whose parts keep coming.
        #expect(
            batch.remainingTime(of: .milliseconds(120), idleTime: .milliseconds(100), now: start + .milliseconds(100))
                == .milliseconds(20))
        batch.removeAll()
        #expect(!batch.isIdle(for: .milliseconds(100), now: start + .seconds(1)))
    }
}

@Suite(
    "Drain slow flush",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainSlowFlushTests {
    @Test("slow batch push is logged")
    func logsSlowPush() async throws {
        let harness = try await DrainHarness("slow") {
            $0.consumerCount = 1
            $0.slowFlushThreshold = .milliseconds(50)
        }
        let drain = try harness.makeDrain(queue: SlowJobQueue(base: harness.jobQueue, delay: .milliseconds(300)))
        let running = harness.start(drain)
        try await harness.publish(#"{"id": 5, "log": "slow", "number": 1}"#)
        try await harness.wait("the stored part") { try await harness.storedParts().count == 1 }
        drain.stop()
        await running.value

        let slow = harness.handler.entries.filter { $0.message == "storing a batch of log parts was slow" }
        #expect(slow.count == 1)
        #expect(slow.first?.metadata["parts"]?.description == "1")
        try await harness.cleanUp()
    }
}

/// A job queue whose `log_parts` pushes take at least `delay`, standing in for a slow Redis.
struct SlowJobQueue: ForwardingJobQueue {
    let base: any JobQueue
    let delay: Duration

    func push(_ jobs: [Job]) async throws {
        if jobs.contains(where: { $0.queue == "log_parts" }) {
            try await Task.sleep(for: delay)
        }
        try await base.push(jobs)
    }
}
