import Foundation
import LogsTransport

/// The AMQP publishers that feed the system under test, on the broker of `RABBITMQ_URL`.
enum Publishing {
    /// Publishes `partsPerJob` parts for each of `jobCount` jobs from `firstJob` on, the last part
    /// of each job empty and final, over `publisherCount` connections as fast as the broker takes
    /// them. Parts go round robin over the jobs, so every job is open at once, and a job's parts
    /// stay in order because one connection publishes all of them.
    static func backlog(
        endpoint: AMQPEndpoint, firstJob: Int64, jobCount: Int, partsPerJob: Int, publisherCount: Int
    ) async throws {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<publisherCount {
                let jobs = stride(from: publisher, to: jobCount, by: publisherCount).map { firstJob + Int64($0) }
                group.addTask {
                    try await publishRounds(
                        endpoint: endpoint, name: "system-benchmark-\(publisher)", jobs: jobs, partsPerJob: partsPerJob,
                        pace: nil)
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).timeInterval
        let count = jobCount * partsPerJob
        print(
            "phase=publish parts=\(count) seconds=\(String(format: "%.2f", seconds)) "
                + "parts_per_second=\(Int(Double(count) / seconds))")
    }

    /// Publishes like ``backlog(endpoint:firstJob:jobCount:partsPerJob:publisherCount:)`` over one
    /// connection at `rate` parts per second, each part carrying the time it was published.
    static func paced(endpoint: AMQPEndpoint, firstJob: Int64, jobCount: Int, partsPerJob: Int, rate: Double)
        async throws
    {
        let jobs = (0..<jobCount).map { firstJob + Int64($0) }
        let start = ContinuousClock.now
        try await publishRounds(
            endpoint: endpoint, name: "system-benchmark-paced", jobs: jobs, partsPerJob: partsPerJob, pace: rate)
        let seconds = (ContinuousClock.now - start).timeInterval
        let count = jobCount * partsPerJob
        print(
            "phase=paced_publish parts=\(count) seconds=\(String(format: "%.2f", seconds)) "
                + "parts_per_second=\(Int(Double(count) / seconds))")
    }

    /// Publishes part 1 of every job, then part 2 of every job, and so on, the last round final.
    /// With `pace`, no more than `pace` parts per second go out and each part carries its time.
    private static func publishRounds(
        endpoint: AMQPEndpoint, name: String, jobs: [Int64], partsPerJob: Int, pace: Double?
    ) async throws {
        var publisherEndpoint = endpoint
        // The broker can take longer than the default 10 s to reply while it writes a backlog to disk.
        publisherEndpoint.connectTimeout = .seconds(300)
        let connection = AMQPConnection(endpoint: publisherEndpoint, name: name)
        try await connection.open()
        var messages = WorkerMessages()
        try await messages.declareTopology(on: connection)
        let exchange = messages.settings.exchangeName
        let routingKey = messages.settings.routingKey

        let start = ContinuousClock.now
        var published = 0
        for number in 1...partsPerJob {
            for job in jobs {
                if let pace {
                    while Double(published) >= (ContinuousClock.now - start).timeInterval * pace {
                        try await Task.sleep(for: .milliseconds(1))
                    }
                }
                let body: Data
                if number == partsPerJob {
                    body = messages.finalPart(jobID: job, number: number)
                } else if pace != nil {
                    body = messages.timedPart(jobID: job, number: number)
                } else {
                    body = messages.part(jobID: job, number: number)
                }
                try await connection.publish(body, exchange: exchange, routingKey: routingKey)
                published += 1
            }
        }

        // A passive declaration waits for the broker, so every publish before it has arrived.
        _ = try await connection.declareQueue(messages.settings.queueName, passive: true)
        await connection.close()
    }
}
