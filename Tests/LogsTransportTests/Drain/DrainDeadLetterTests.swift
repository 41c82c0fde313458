import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite(
    "Drain dead queue confirms",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainDeadLetterTests {
    static let badMessage = "not JSON"

    @Test("missing dead queue keeps the message")
    func missingDeadQueueKeepsMessage() async throws {
        let harness = try await DrainHarness("dead-missing") { $0.consumerCount = 1 }
        // Each consumer declares the dead queue when it connects, so it is deleted once the
        // consumer has stored a first part.
        try await runUntilCopyFails(harness) {
            try await harness.publish(#"{"id": 5, "log": "good", "number": 1}"#)
            try await harness.wait("the good part") { try await harness.storedParts().count == 1 }
            try await harness.publisher.deleteQueue(harness.settings.deadQueueName)
            try await harness.publish(Self.badMessage)
        }

        // The broker returned the unroutable copy, so the drain never acknowledged the original.
        #expect(try await harness.readyMessages() == 1)
        #expect(harness.counter("travis_logs_drain_messages_rejected_total", labels: ["reason": "invalid_json"]) == 0)
        let failures = harness.handler.entries.filter { $0.message.contains("dead queue failed") }
        #expect(!failures.isEmpty)
        #expect(failures.first?.metadata["error"]?.description.contains("not_confirmed") == true)

        // The new drain's consumer declares the dead queue again.
        try await runUntilDeadLettered(harness)
        try await harness.cleanUp()
    }

    @Test("rejected copy keeps the message")
    func rejectedCopyKeepsMessage() async throws {
        let harness = try await DrainHarness("dead-full")
        let management = try RabbitMQManagement()
        let policy = "\(harness.settings.deadQueueName).full"
        let policyPath = "policies/\(management.vhostPath)/\(RabbitMQManagement.encoded(policy))"
        let (status, _) = try await management.send(
            "PUT", policyPath,
            body: [
                "pattern": .string("^\(NSRegularExpression.escapedPattern(for: harness.settings.deadQueueName))$"),
                "definition": ["max-length": 0, "overflow": "reject-publish"],
                "apply-to": "queues",
            ])
        #expect((200..<300).contains(status))
        try await expectPublishRejected(to: harness.settings.deadQueueName, harness: harness)

        try await runUntilCopyFails(harness) { try await harness.publish(Self.badMessage) }
        #expect(try await harness.readyMessages() == 1)
        #expect(try await harness.readyMessages(in: harness.settings.deadQueueName) == 0)
        #expect(harness.counter("travis_logs_drain_messages_rejected_total", labels: ["reason": "invalid_json"]) == 0)

        _ = try await management.send("DELETE", policyPath)
        try await runUntilDeadLettered(harness)
        try await harness.cleanUp()
    }

    /// Waits until the broker applies the policy, shown by a confirmed publish that it rejects.
    private func expectPublishRejected(to queue: String, harness: DrainHarness) async throws {
        let connection = AMQPConnection(endpoint: harness.endpoint, name: "dead-letter-probe")
        try await connection.open()
        var lastError: AMQPError?
        try await harness.wait("the broker to reject publishes to the dead queue") {
            do {
                try await connection.publishConfirmed(Data("probe".utf8), routingKey: queue, timeout: .seconds(5))
                return false
            } catch let error as AMQPError {
                lastError = error
                return true
            }
        }
        #expect(lastError?.code == .notConfirmed)
        await connection.close()
    }

    /// Runs a drain and `body`, until the dead queue copy failed twice, which means the message came
    /// back after the first failure, then stops the drain.
    private func runUntilCopyFails(_ harness: DrainHarness, while body: () async throws -> Void) async throws {
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await body()
        try await harness.wait("two failed dead queue copies") {
            harness.counter("travis_logs_drain_dead_letter_failures_total") >= 2
        }
        drain.stop()
        await running.value
    }

    /// Runs a new drain until the message is in the dead queue and gone from the drain's queue.
    private func runUntilDeadLettered(_ harness: DrainHarness) async throws {
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await harness.wait("the message in the dead queue") {
            do {
                return try await harness.readyMessages(in: harness.settings.deadQueueName) == 1
            } catch let error as AMQPError where error.replyCode == 404 {
                // The new consumer has not declared the dead queue yet.
                return false
            }
        }
        drain.stop()
        await running.value
        #expect(try await harness.readyMessages() == 0)
        #expect(harness.counter("travis_logs_drain_messages_rejected_total", labels: ["reason": "invalid_json"]) == 1)
    }
}
