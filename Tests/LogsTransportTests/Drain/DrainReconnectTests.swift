import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite(
    "Drain reconnects",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainReconnectTests {
    @Test("forced close reconnects and loses nothing")
    func reconnectsAfterForcedClose() async throws {
        let harness = try await DrainHarness("forced") {
            $0.batchSize = 1000
            $0.batchInterval = .seconds(600)
        }
        let management = try RabbitMQManagement()
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        for number in 1...10 {
            try await harness.publish(#"{"id": 21, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("ten forwarded parts") { try await harness.forwardedParts().count == 10 }

        // The broker closes both consumers' connections with 320 CONNECTION_FORCED, as on shutdown;
        // their open batches were never acknowledged, so the broker delivers them again.
        // The management API lists consumers once its statistics are collected, every 500 ms here.
        var closed = 0
        try await harness.wait("two closed connections") {
            closed += try await management.closeConnections(consumingFrom: harness.settings.queueName)
            return closed >= 2
        }
        try await harness.wait("reconnects") { harness.counter("travis_logs_drain_reconnects_total") >= 2 }
        for number in 11...20 {
            try await harness.publish(#"{"id": 21, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("twenty forwarded parts after reconnecting") {
            Set(try await harness.forwardedParts().map(\.number.storedValue)).count == 20
        }
        drain.stop()
        await running.value

        #expect(Set(try await harness.storedParts().map(\.number.storedValue)) == Set(1...20))
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }

    @Test("broker restart reconnects and loses nothing")
    func reconnectsAfterBrokerRestart() async throws {
        let node = try await PrivateRabbitMQNode()
        do {
            try await drainAcrossRestart(of: node)
        } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }

    private func drainAcrossRestart(of node: PrivateRabbitMQNode) async throws {
        let harness = try await DrainHarness("restart", endpoint: node.endpoint) {
            $0.batchSize = 1000
            $0.batchInterval = .milliseconds(500)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        for number in 1...10 {
            try await harness.publish(#"{"id": 23, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("ten forwarded parts") { try await harness.forwardedParts().count == 10 }
        try await node.restart()

        try await harness.publisher.open()
        for number in 11...20 {
            try await harness.publish(#"{"id": 23, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait(for: .seconds(30), "every part after the restart") {
            Set(try await harness.storedParts().map(\.number.storedValue)) == Set(1...20)
        }
        drain.stop()
        await running.value

        #expect(harness.counter("travis_logs_drain_reconnects_total") >= 2)
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }

    @Test("stalled consumer is replaced")
    func replacesStalledConsumer() async throws {
        let harness = try await DrainHarness("stalled") {
            $0.consumerCount = 1
            $0.batchSize = 5
            $0.ackTimeout = .milliseconds(500)
        }
        // Every push fails, so the consumer acknowledges nothing while messages wait.
        let failing = FailingJobQueue(base: harness.jobQueue)
        failing.setFailsAll(true)
        let drain = try harness.makeDrain(queue: failing)
        let running = harness.start(drain)
        for number in 1...5 {
            try await harness.publish(#"{"id": 22, "log": "x", "number": \#(number)}"#)
        }
        try await harness.wait("a replaced consumer") { harness.counter("travis_logs_drain_reconnects_total") >= 1 }
        #expect(harness.handler.entries.contains { "\($0.metadata["error"] ?? "")".contains("acknowledged nothing") })

        failing.setFailsAll(false)
        try await harness.wait("every part stored") {
            Set(try await harness.storedParts().map(\.number.storedValue)) == Set(1...5)
        }
        drain.stop()
        await running.value
        try await harness.cleanUp()
    }
}
