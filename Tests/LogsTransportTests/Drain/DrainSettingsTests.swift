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
