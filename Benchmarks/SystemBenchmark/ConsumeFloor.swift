import Foundation
import LogsTransport
import Synchronization

/// The broker's share of the floor: a bare consume-and-acknowledge loop over a backlog of the same
/// messages that the drain reads, with the drain's prefetch and number of consumers, and one
/// multiple acknowledgement per chunk of deliveries.
enum ConsumeFloor {
    static let queueName = "benchmark.system.floor"

    static func run(endpoint: AMQPEndpoint, messageCount: Int, consumerCount: Int, prefetch: Int) async throws {
        try await fill(endpoint: endpoint, messageCount: messageCount)
        let received = Counter()

        let start = ContinuousClock.now
        let cpuStart = ProcessUsage.cpuSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<consumerCount {
                group.addTask {
                    let connection = AMQPConnection(endpoint: endpoint, name: "floor-\(number)")
                    try await connection.open()
                    _ = try await connection.consume(queue: queueName, prefetch: prefetch)
                    while received.value.load(ordering: .relaxed) < messageCount {
                        let deliveries = try await connection.nextDeliveries(
                            limit: prefetch, timeout: .milliseconds(100))
                        guard let last = deliveries.last else { continue }
                        try await connection.acknowledge(deliveryTag: last.deliveryTag, multiple: true)
                        received.value.add(deliveries.count, ordering: .relaxed)
                    }
                    await connection.close()
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).timeInterval
        let cpu = ProcessUsage.cpuSeconds() - cpuStart

        print(
            "phase=consume_floor parts=\(messageCount) seconds=\(String(format: "%.2f", seconds)) "
                + "parts_per_second=\(Int(Double(messageCount) / seconds)) "
                + "cpu_ms_per_part=\(String(format: "%.4f", cpu / Double(messageCount) * 1000))")

        let cleanup = AMQPConnection(endpoint: endpoint, name: "floor-cleanup")
        try await cleanup.open()
        _ = try await cleanup.deleteQueue(queueName)
        await cleanup.close()
    }

    /// Publishes `messageCount` throughput parts straight into the floor's queue.
    private static func fill(endpoint: AMQPEndpoint, messageCount: Int) async throws {
        var publisherEndpoint = endpoint
        publisherEndpoint.connectTimeout = .seconds(300)
        let connection = AMQPConnection(endpoint: publisherEndpoint, name: "floor-publisher")
        try await connection.open()
        _ = try await connection.deleteQueue(queueName)
        _ = try await connection.declareQueue(queueName)
        var messages = WorkerMessages()
        let jobCount = 1_000
        for index in 0..<messageCount {
            let body = messages.part(jobID: Int64(1 + index % jobCount), number: 1 + index / jobCount)
            try await connection.publish(body, routingKey: queueName)
        }
        _ = try await connection.declareQueue(queueName, passive: true)
        await connection.close()
    }
}

/// Messages received by all consumers together.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// CPU time of this process.
enum ProcessUsage {
    /// User and system CPU seconds this process has used.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }
}
