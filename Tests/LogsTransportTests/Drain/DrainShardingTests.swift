import Foundation
import LogsCore
import Testing

@testable import LogsTransport

@Suite(
    "Drain sharding",
    .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct DrainShardingTests {
    @Test("sets the policy and drains every shard")
    func drainsShards() async throws {
        let harness = try await DrainHarness("sharded") {
            $0.isSharded = true
            $0.consumerCount = 2
        }
        let management = try RabbitMQManagement()
        let exchange = harness.settings.queueName
        var policy = ShardingPolicy(settings: management.settings)
        policy.name = "test-sharding-\(UUID().uuidString.prefix(8))"
        policy.exchangeName = exchange
        let drain = LogDrain(
            endpoint: try RabbitMQTestServer.endpoint(), queue: harness.jobQueue, settings: harness.settings,
            shardingPolicy: policy, logger: harness.logger, metrics: harness.metrics)
        let running = harness.start(drain)

        let path = "policies/\(management.vhostPath)/\(policy.name)"
        try await harness.wait("the policy") { try await management.send("GET", path).status == 200 }
        let stored = try await management.send("GET", path)
        #expect(stored.json["definition"]?["shards-per-node"] == 2)
        #expect(stored.json["apply-to"] == "exchanges")
        #expect(stored.json["pattern"] == .string("^\(exchange)$"))
        let shards = "sharding: \(exchange) - travis-logs@localhost - "
        try await harness.wait("two shard queues") {
            let (_, queues) = try await management.send("GET", "queues/\(management.vhostPath)")
            let names = (queues.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            return names.filter { $0.hasPrefix(shards) }.count == 2
        }

        for job in 1...20 {
            let body = Data(#"{"id": \#(job), "log": "x", "number": 1}"#.utf8)
            try await harness.publisher.publish(body, exchange: exchange, routingKey: "\(job)")
        }
        try await harness.wait("every part stored") {
            Set(try await harness.storedParts().map(\.jobID.rawValue)) == Set(1...20)
        }
        drain.stop()
        await running.value

        _ = try await management.send("DELETE", "policies/\(management.vhostPath)/\(policy.name)")
        for index in 0..<2 {
            try await harness.publisher.deleteQueue(shards + "\(index)")
        }
        try await harness.publisher.deleteExchange(exchange)
        try await harness.publisher.deleteQueue(harness.settings.deadQueueName)
        await harness.publisher.close()
        try await RedisTestServer.deleteKeys(prefix: harness.namespace, in: harness.pool)
        harness.pool.close()
    }
}
