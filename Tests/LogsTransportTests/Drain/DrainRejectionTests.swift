import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite(
    "Drain rejections",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainRejectionTests {
    /// Bodies that can never become a part, with the reason each is counted under. Each carries
    /// the word SECRET, which must never reach a log line.
    static let badMessages: [(body: String, reason: String)] = [
        ("SECRET is not JSON", "invalid_json"),
        (#"["SECRET"]"#, "not_an_object"),
        (#"{"log": "SECRET", "number": 1}"#, "missing_job_id"),
        (#"{"id": -4, "log": "SECRET", "number": 1}"#, "invalid_job_id"),
        (#"{"id": 4, "log": "SECRET", "number": "first"}"#, "invalid_number"),
        (#"{"id": 4, "log": "SECRET", "number": 1, "encoding": "gzip"}"#, "unknown_encoding"),
        (#"{"id": 4, "log": "SECRET!!", "number": 1, "encoding": "base64"}"#, "invalid_base64"),
    ]

    @Test("bad messages go to the dead queue")
    func deadLettersBadMessages() async throws {
        let harness = try await DrainHarness("dead") { $0.rejectionLogInterval = .seconds(3600) }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        for message in Self.badMessages {
            try await harness.publish(message.body)
        }
        try await harness.publish(#"{"id": 5, "log": "good", "number": 1}"#)
        try await harness.wait("dead-lettered messages") {
            try await harness.readyMessages(in: harness.settings.deadQueueName) == Self.badMessages.count
        }
        try await harness.wait("the good part") { try await harness.storedParts().count == 1 }
        drain.stop()
        await running.value

        #expect(try await harness.readyMessages() == 0)
        for message in Self.badMessages {
            let count = harness.counter("travis_logs_drain_messages_rejected_total", labels: ["reason": message.reason])
            #expect(count == 1, "reason \(message.reason)")
        }
        // One line for the first rejection within the interval, and one with the count of the
        // others when the drain stops.
        let entries = harness.handler.entries.filter { $0.message.contains("dead queue") }
        #expect(entries.count == 2)
        #expect(entries.first?.metadata["reason"] != nil)
        #expect(entries.first?.metadata["bytes"] != nil)
        #expect(entries.last?.metadata["suppressed"]?.description == "\(Self.badMessages.count - 1)")
        let logged = harness.handler.entries.map { "\($0.message) \($0.metadata)" }
        #expect(!logged.contains { $0.contains("SECRET") })

        // The dead queue keeps each body unchanged.
        let reader = try await RabbitMQTestServer.connect(name: "dead-reader")
        try await reader.consume(queue: harness.settings.deadQueueName, prefetch: 100)
        var bodies: [String] = []
        while bodies.count < Self.badMessages.count {
            let deliveries = try await reader.nextDeliveries(limit: 100, timeout: .seconds(2))
            try #require(!deliveries.isEmpty)
            bodies += deliveries.map { String(decoding: $0.body, as: UTF8.self) }
        }
        #expect(Set(bodies) == Set(Self.badMessages.map(\.body)))
        await reader.close()
        try await harness.cleanUp()
    }

    @Test("bad messages between parts")
    func deadLettersBetweenParts() async throws {
        let harness = try await DrainHarness("mixed") {
            $0.consumerCount = 1
            $0.rejectionLogInterval = .seconds(3600)
        }
        // Published before the drain starts, so that one read takes good and bad messages together.
        let bodies = [
            #"{"id": 7, "log": "one", "number": 1}"#, "not JSON", #"{"id": 7, "log": "two", "number": 2}"#,
            #"{"id": 7, "log": "x", "number": "first"}"#, #"{"id": 7, "log": "three", "number": 3}"#, "[]",
        ]
        for body in bodies {
            try await harness.publish(body)
        }
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        try await harness.wait("dead-lettered messages") {
            try await harness.readyMessages(in: harness.settings.deadQueueName) == 3
        }
        try await harness.wait("the good parts") { try await harness.storedParts().count == 3 }
        drain.stop()
        await running.value

        // Every message was acknowledged, so none came back to the queue when the drain closed.
        #expect(try await harness.readyMessages() == 0)
        let stored = try await harness.storedParts()
        #expect(stored.map(\.number) == [.number(1), .number(2), .number(3)])
        #expect(try stored.map { try PartNormalizer().normalize($0).displayContent } == ["one", "two", "three"])
        #expect(try await harness.forwardedParts().count == 3)
        try await harness.cleanUp()
    }

    @Test("invalid UTF-8 and NUL are kept")
    func keepsInvalidUTF8() async throws {
        let harness = try await DrainHarness("utf8")
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        var invalid = Data(#"{"id": 6, "log": "caf"#.utf8)
        invalid += [0xE9, 0x20, 0xFF]
        invalid += Data(#"", "number": 1}"#.utf8)
        try await harness.publish(invalid)
        try await harness.publish(#"{"id": 6, "log": "nul\u0000byte", "number": 2}"#)
        try await harness.wait("two stored parts") { try await harness.storedParts().count == 2 }
        drain.stop()
        await running.value

        let parts = try await harness.storedParts().sorted { $0.number.storedValue < $1.number.storedValue }
        let stored = try parts.map { try PartNormalizer().normalize($0).displayContent }
        #expect(stored == ["caf\u{FFFD} \u{FFFD}", "nulbyte"])
        #expect(try await harness.readyMessages(in: harness.settings.deadQueueName) == 0)
        try await harness.cleanUp()
    }
}
