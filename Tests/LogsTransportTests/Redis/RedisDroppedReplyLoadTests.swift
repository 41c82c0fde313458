import Foundation
import LogsCore
import Synchronization
import TestSupport
import Testing

@testable import LogsTransport

/// Runs many concurrent workers on one queue, as `JobRunner.run` does, while a proxy drops random
/// replies to fetches, acknowledgements, blocking moves and the reconciliation's reads. Each pushed
/// job must run exactly once, and the in-progress list must be empty once the queue is idle.
@Suite(
    "Redis job queue dropped replies under load", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisDroppedReplyLoadTests {
    struct Configuration: Sendable, CustomTestStringConvertible {
        var prefetch: Int
        var fetchesOnAcknowledge: Bool

        var testDescription: String { "prefetch \(prefetch), fetch on acknowledge \(fetchesOnAcknowledge)" }
    }

    static let configurations = [
        Configuration(prefetch: 1, fetchesOnAcknowledge: false),
        Configuration(prefetch: 4, fetchesOnAcknowledge: false),
        Configuration(prefetch: 1, fetchesOnAcknowledge: true),
        Configuration(prefetch: 4, fetchesOnAcknowledge: true),
    ]

    /// The number of times each job ran, by job id.
    final class RunCounts: Sendable {
        let counts = Mutex([String: Int]())
    }

    static let jobCount = 600
    static let concurrency = 25
    static let archive = [WeightedQueue("archive")]

    /// Rules that drop one reply in ten to fetches, acknowledgements and blocking moves and one in
    /// five to `LRANGE`, and delay a few others, so that fetches are still in flight while the list is reconciled.
    static let faultRules: [RedisFaultProxy.Rule] = [
        .init(markers: ["EVALSHA"], fault: .dropReply, count: 1_000_000, probability: 0.1),
        .init(markers: ["LREM"], fault: .dropReply, count: 1_000_000, probability: 0.1),
        .init(markers: ["BRPOPLPUSH"], fault: .dropReply, count: 1_000_000, probability: 0.1),
        .init(markers: ["LRANGE"], fault: .dropReply, count: 1_000_000, probability: 0.2),
        .init(markers: ["EVALSHA"], fault: .delayReply(.milliseconds(50)), count: 1_000_000, probability: 0.05),
        .init(markers: ["BRPOPLPUSH"], fault: .delayReply(.milliseconds(150)), count: 1_000_000, probability: 0.2),
    ]

    @Test("each job runs once", arguments: configurations)
    func eachJobRunsOnce(_ configuration: Configuration) async throws {
        let namespace = RedisTestServer.uniqueNamespace("dropped-load")
        let pool = try RedisTestServer.makePool(size: 2)
        let upstream = try #require(URL(string: try RedisTestServer.url()))
        let proxy = try await RedisFaultProxy(upstream: upstream, rules: Self.faultRules)
        let proxiedPool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: proxy.url), settings: .init(size: 7), logger: Logger(label: "test"))
        let settings = RedisJobQueue.Settings(
            processTimeout: .seconds(120), promotionInterval: .seconds(1), recoveryInterval: .seconds(1),
            maximumBlock: .milliseconds(200), prefetch: configuration.prefetch,
            fetchesOnAcknowledge: configuration.fetchesOnAcknowledge)
        let queue = RedisJobQueue(
            pool: proxiedPool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
        let pusher = RedisJobQueue(pool: pool, namespace: namespace, logger: Logger(label: "test"))
        let jobs = (1...Self.jobCount).map { JobPayload.archive(LogID(Int64($0))).makeJob(at: Date()) }
        try await pusher.push(jobs)

        let runs = RunCounts()
        let acknowledger = BackgroundAcknowledger(queue: queue, limit: 100, logger: Logger(label: "test"))
        let deadline = ContinuousClock.now + .seconds(60)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<Self.concurrency {
                group.addTask {
                    while ContinuousClock.now < deadline, runs.counts.withLock({ $0.count }) < Self.jobCount {
                        let reserved: ReservedJob?
                        do {
                            reserved = try await queue.reserve(from: Self.archive, timeout: .milliseconds(300))
                        } catch {
                            try? await Task.sleep(for: .milliseconds(5))
                            continue
                        }
                        guard let reserved else { continue }
                        runs.counts.withLock { $0[reserved.job.jid, default: 0] += 1 }
                        try? await Task.sleep(for: .microseconds(Int.random(in: 0...2000)))
                        await acknowledger.acknowledge(reserved, metadata: [:])
                    }
                }
            }
        }
        await acknowledger.waitUntilIdle()

        // Reserves until one ends without an error and leaves nothing to reconcile, so that any
        // entry left in the in-progress list is one that no reconciliation will push back.
        var leftOver: [String] = []
        for _ in 0..<50 {
            do {
                if let reserved = try await queue.reserve(from: Self.archive, timeout: .zero) {
                    leftOver.append(reserved.job.jid)
                    try? await queue.acknowledge(reserved)
                    continue
                }
            } catch {
                continue
            }
            if !queue.state.withLock({ $0.ledger.isUncertain }) { break }
        }

        let counts = runs.counts.withLock { $0 }
        let missing = jobs.map(\.jid).filter { counts[$0] == nil }
        let repeated = counts.filter { $0.value > 1 }
        #expect(missing.isEmpty, "jobs never run: \(missing.count)")
        #expect(repeated.isEmpty, "jobs run more than once: \(repeated)")
        #expect(leftOver.isEmpty, "jobs handed out after every job ran: \(leftOver)")
        let stranded = try await pool.send("LLEN", queue.keys.inProgress(queue.identity)).integerValue
        #expect(stranded == 0, "entries left in the in-progress list")
        let waiting = try await pool.send("LLEN", namespace + "queue:archive").integerValue
        #expect(waiting == 0, "jobs left in the queue")
        let dead = try await pool.send("ZCARD", namespace + "dead").integerValue
        #expect(dead == 0, "jobs in the dead set")
        let droppedReplies = (0..<4).map { proxy.armedCount(ofRule: $0) }.reduce(0, +)
        #expect(droppedReplies > 0, "the proxy dropped no reply")

        // The proxy drops replies to `close()`'s script too, so it is tried until one reply arrives.
        for attempt in 1...20 {
            do {
                try await queue.close()
                break
            } catch {
                if attempt == 20 { Issue.record("closing the queue failed: \(error)") }
            }
        }
        proxiedPool.close()
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
        withExtendedLifetime(proxy) {}
    }
}
