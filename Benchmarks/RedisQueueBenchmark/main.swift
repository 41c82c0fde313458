import Dispatch
import Foundation
import LogsCore
import LogsTransport

/// Pushes no-op jobs through `RedisJobQueue` and takes them with several tasks, printing jobs/s.
///
/// Usage: `RedisQueueBenchmark JOBS WORKERS [PREFETCH [ACKNOWLEDGEMENT]]` with REDIS_URL set;
/// PREFETCH is `RedisJobQueue.Settings.prefetch`, 1 by default. "Running" a job here is what the
/// queue costs a worker: reserve it into the in-progress list, then acknowledge it. With
/// ACKNOWLEDGEMENT `background`, the default, the acknowledgement goes to a
/// `BackgroundAcknowledger` with `JobRunner`'s default limit, as `JobRunner.run` does, so a task
/// takes its next job without waiting for it. With `wait`, the task waits for each
/// acknowledgement, as `JobRunner.runNext` does. The jobs are pushed in batches of 1,000, one
/// pipeline per batch. Output is one `key=value` line per phase.
enum RedisQueueBenchmark {
    static func run() async throws {
        let arguments = CommandLine.arguments
        let jobCount = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
        let workers = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
        let prefetch = arguments.count > 3 ? Int(arguments[3]) ?? 1 : 1
        let acknowledgement = arguments.count > 4 ? arguments[4] : "background"
        guard ["background", "wait"].contains(acknowledgement) else {
            throw BenchmarkFailure("invalid ACKNOWLEDGEMENT \(acknowledgement): expected background or wait")
        }
        let configuration = try LogsConfiguration(environment: ProcessInfo.processInfo.environment)
        let logger = Logger(label: "benchmark")
        let pool = try RedisConnectionPool(configuration: configuration, size: workers + 4, logger: logger)
        let namespace = "bench-\(UUID().uuidString.prefix(8))"
        let queue = RedisJobQueue(
            pool: pool, namespace: namespace,
            settings: RedisJobQueue.Settings(prefetch: prefetch), logger: logger)
        let now = Date()
        let job = Job(className: "Benchmark::Noop", queue: "bench", args: [], retry: .bool(false), createdAt: now)

        let pushStart = ContinuousClock.now
        for start in stride(from: 0, to: jobCount, by: 1000) {
            let batch = (start..<min(jobCount, start + 1000)).map { _ in
                var copy = job
                copy.jid = Job.makeJID()
                return copy
            }
            try await queue.push(batch)
        }
        let pushSeconds = pushStart.duration(to: .now).timeInterval
        print(
            "phase=push jobs=\(jobCount) seconds=\(format(pushSeconds)) jobs_per_second=\(format(Double(jobCount) / pushSeconds))"
        )

        let acknowledger = BackgroundAcknowledger(queue: queue, limit: 64, logger: logger)
        let runStart = ContinuousClock.now
        let ran = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var count = 0
                    while let reserved = try await queue.reserve(from: [WeightedQueue("bench")], timeout: .zero) {
                        if acknowledgement == "wait" {
                            await acknowledger.acknowledgeNow(reserved, metadata: [:])
                        } else {
                            await acknowledger.acknowledge(reserved, metadata: [:])
                        }
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        await acknowledger.waitUntilIdle()
        let leftInProgress = try await queue.inProgressPayloads().count
        guard leftInProgress == 0, ran == jobCount else {
            throw BenchmarkFailure(
                "ran \(ran) of \(jobCount) jobs, and \(leftInProgress) are still in progress after every acknowledgement ended"
            )
        }
        let runSeconds = runStart.duration(to: .now).timeInterval
        print(
            "phase=run jobs=\(ran) workers=\(workers) prefetch=\(prefetch) acknowledgement=\(acknowledgement) seconds=\(format(runSeconds)) jobs_per_second=\(format(Double(ran) / runSeconds))"
        )
        try await queue.close()
        _ = try await pool.send(
            "DEL", "\(namespace):queue:bench", "\(namespace):queues", "\(namespace):travis-logs:processes")
        pool.close()
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        var description: String

        init(_ description: String) {
            self.description = description
        }
    }

    static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

extension RedisQueueBenchmark {
    /// Runs the benchmark from a nonisolated context: top-level code is main-actor isolated, and
    /// a main-actor task could never run while the main thread waits on the semaphore.
    static func runBlocking() {
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await run()
            } catch {
                FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
                exit(1)
            }
            done.signal()
        }
        done.wait()
    }
}

RedisQueueBenchmark.runBlocking()
