import Foundation
import LogsCore
import TestSupport
import Testing

@testable import LogsTransport

/// Fetches that Redis ran but whose reply never reached the queue, made by a proxy that drops the
/// reply, and acknowledgements whose `LREM` fails. Each job must come back to its queue and be
/// handed out once, and a job that a caller holds must stay in the in-progress list.
@Suite("Redis job queue lost replies", .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisLostReplyTests {
    let namespace = RedisTestServer.uniqueNamespace("lost-reply")
    /// A pool straight to Redis, for setting up and checking the keys.
    let pool: RedisConnectionPool

    init() throws {
        pool = try RedisTestServer.makePool(size: 4)
    }

    /// Starts a proxy with `rules` and returns a queue whose connections go through it.
    func makeProxiedQueue(
        rules: [RedisFaultProxy.Rule], maximumBlock: Duration = .milliseconds(400), prefetch: Int = 1,
        fetchesOnAcknowledge: Bool = false
    ) async throws -> (RedisJobQueue, RedisFaultProxy) {
        let upstream = try #require(URL(string: try RedisTestServer.url()))
        let proxy = try await RedisFaultProxy(upstream: upstream, rules: rules)
        let proxiedPool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: proxy.url), settings: .init(size: 4), logger: Logger(label: "test"))
        return (
            makeQueue(
                pool: proxiedPool, maximumBlock: maximumBlock, prefetch: prefetch,
                fetchesOnAcknowledge: fetchesOnAcknowledge), proxy
        )
    }

    func makeQueue(
        pool: RedisConnectionPool, maximumBlock: Duration = .milliseconds(400), prefetch: Int = 1,
        fetchesOnAcknowledge: Bool = false
    ) -> RedisJobQueue {
        let settings = RedisJobQueue.Settings(
            processTimeout: .seconds(60), promotionInterval: .zero, recoveryInterval: .zero, maximumBlock: maximumBlock,
            prefetch: prefetch, fetchesOnAcknowledge: fetchesOnAcknowledge)
        return RedisJobQueue(pool: pool, namespace: namespace, settings: settings, logger: Logger(label: "test"))
    }

    /// Returns a queue whose connections log in as a new ACL user that may run every command but
    /// `command`, and that user's name, for the caller to delete.
    func makeQueue(denying command: String, fetchesOnAcknowledge: Bool = false) async throws
        -> (RedisJobQueue, String)
    {
        let user = "lost-reply-\(UUID().uuidString.prefix(8))"
        _ = try await pool.send("ACL", "SETUSER", user, "on", ">secret", "~*", "&*", "+@all", "-\(command)")
        var components = try #require(URLComponents(string: try RedisTestServer.url()))
        components.user = user
        components.password = "secret"
        let userPool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: try #require(components.string)), settings: .init(size: 2),
            logger: Logger(label: "test"))
        return (makeQueue(pool: userPool, fetchesOnAcknowledge: fetchesOnAcknowledge), user)
    }

    /// Returns the rule that drops the reply to the first fetch script call on `queue`, or to the
    /// one after `skip` such calls.
    func droppingFetch(from queue: String, skip: Int = 0) -> RedisFaultProxy.Rule {
        RedisFaultProxy.Rule(markers: ["EVALSHA", namespace + "queue:" + queue], fault: .dropReply, skip: skip)
    }

    func inProgress(of queue: RedisJobQueue) async throws -> [String] {
        let reply = try await pool.send("LRANGE", queue.keys.inProgress(queue.identity), "0", "-1")
        return reply.arrayValue?.compactMap(\.stringValue) ?? []
    }

    func size(of queue: String) async throws -> Int {
        Int(try await pool.send("LLEN", namespace + "queue:" + queue).integerValue ?? -1)
    }

    /// Expects `body` to throw a `RedisError` with `code`.
    func expectRedisError(_ code: RedisError.Code, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected a RedisError with code \(code), but nothing was thrown")
        } catch let error as RedisError {
            #expect(error.code == code, "\(error)")
        } catch {
            Issue.record("expected a RedisError with code \(code), got \(error)")
        }
    }

    /// Checks that the archive queue is empty and `queue` hands out no further job, then
    /// acknowledges `jobs` and checks that the in-progress list is empty.
    func expectNothingLeft(
        in queue: RedisJobQueue, acknowledging jobs: [ReservedJob], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(try await size(of: "archive") == 0, sourceLocation: sourceLocation)
        let further = try await queue.reserve(from: Self.archive, timeout: .zero)
        #expect(
            further == nil, "handed out again: \(String(describing: further?.job.jid))", sourceLocation: sourceLocation)
        try await queue.acknowledge(jobs)
        #expect(try await inProgress(of: queue).isEmpty, sourceLocation: sourceLocation)
    }

    func cleanUp(_ queues: RedisJobQueue...) async throws {
        for queue in queues {
            try await queue.close()
            queue.pool.close()
        }
        try await RedisTestServer.deleteKeys(prefix: namespace, in: pool)
        pool.close()
    }

    static func archiveJob(_ logID: Int64) -> Job {
        JobPayload.archive(LogID(logID)).makeJob(at: Date())
    }

    static let archive = [WeightedQueue("archive")]

    @Test("lost fetch reply: job back once")
    func lostFetchReplyJobBackOnce() async throws {
        let (queue, proxy) = try await makeProxiedQueue(rules: [droppingFetch(from: "archive")])
        let job = Self.archiveJob(1)
        try await queue.push([job])

        await expectRedisError(.io) { _ = try await queue.reserve(from: Self.archive, timeout: .zero) }
        let stranded = try await inProgress(of: queue)
        #expect(stranded.count == 1, "Redis did not run the fetch whose reply was dropped")

        let reserved = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        #expect(reserved.job.jid == job.jid)
        #expect(try await inProgress(of: queue) == [reserved.payload])
        try await expectNothingLeft(in: queue, acknowledging: [reserved])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("lost prefetch reply: jobs back in order")
    func lostPrefetchReplyJobsBackInOrder() async throws {
        let (queue, proxy) = try await makeProxiedQueue(rules: [droppingFetch(from: "archive")], prefetch: 3)
        let jobs = (1...4).map { Self.archiveJob($0) }
        try await queue.push(jobs)

        await expectRedisError(.io) { _ = try await queue.reserve(from: Self.archive, timeout: .zero) }
        #expect(try await inProgress(of: queue).count == 3)
        #expect(try await size(of: "archive") == 1)

        var handedOut: [String] = []
        while let reserved = try await queue.reserve(from: Self.archive, timeout: .zero) {
            handedOut.append(reserved.job.jid)
            try await queue.acknowledge(reserved)
        }
        #expect(handedOut == jobs.map(\.jid))
        #expect(try await inProgress(of: queue).isEmpty)
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("lost acknowledgement reply: carried fetch's job back")
    func lostAcknowledgementReplyCarriedJobBack() async throws {
        let rule = RedisFaultProxy.Rule(markers: ["LREM", "EVALSHA"], fault: .dropReply)
        let (queue, proxy) = try await makeProxiedQueue(rules: [rule], fetchesOnAcknowledge: true)
        let jobs = [Self.archiveJob(1), Self.archiveJob(2)]
        try await queue.push(jobs)

        let first = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        await expectRedisError(.io) { try await queue.acknowledge(first) }
        let stranded = try await inProgress(of: queue)
        #expect(stranded.count == 1)
        #expect(!stranded.contains(first.payload))
        // The caller tries the acknowledgement again, as `BackgroundAcknowledger` does.
        try await queue.acknowledge(first)

        let second = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        #expect(second.job.jid == jobs[1].jid)
        #expect(try await inProgress(of: queue) == [second.payload])
        try await expectNothingLeft(in: queue, acknowledging: [second])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("lost blocking move reply: job back once")
    func lostBlockingMoveReplyJobBackOnce() async throws {
        let rule = RedisFaultProxy.Rule(markers: ["BRPOPLPUSH", namespace + "queue:archive"], fault: .dropReply)
        let (queue, proxy) = try await makeProxiedQueue(rules: [rule], maximumBlock: .seconds(3))
        let job = Self.archiveJob(1)

        let blocked = Task { try await queue.reserve(from: Self.archive, timeout: .seconds(5)) }
        let isBlocking = try await eventually(within: .seconds(2)) { proxy.armedCount(ofRule: 0) == 1 }
        try #require(isBlocking, "the reserve did not send BRPOPLPUSH")
        try await makeQueue(pool: pool).push([job])
        await expectRedisError(.io) { _ = try await blocked.value }
        #expect(try await inProgress(of: queue).count == 1, "Redis did not run the move whose reply was dropped")

        let reserved = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        #expect(reserved.job.jid == job.jid)
        try await expectNothingLeft(in: queue, acknowledging: [reserved])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("held job stays in progress")
    func heldJobStaysInProgress() async throws {
        let (queue, proxy) = try await makeProxiedQueue(rules: [droppingFetch(from: "archive", skip: 1)])
        let jobs = [Self.archiveJob(1), Self.archiveJob(2)]
        try await queue.push(jobs)

        let held = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        await expectRedisError(.io) { _ = try await queue.reserve(from: Self.archive, timeout: .zero) }
        let orphan = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))

        #expect(held.job.jid == jobs[0].jid)
        #expect(orphan.job.jid == jobs[1].jid)
        #expect(Set(try await inProgress(of: queue)) == [held.payload, orphan.payload])
        try await expectNothingLeft(in: queue, acknowledging: [held, orphan])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("held duplicate payload stays in progress")
    func heldDuplicatePayloadStaysInProgress() async throws {
        let (queue, proxy) = try await makeProxiedQueue(rules: [droppingFetch(from: "archive", skip: 1)])
        try await queue.push([Self.archiveJob(1)])
        let payload = try #require(try await pool.send("LINDEX", namespace + "queue:archive", "0").stringValue)
        _ = try await pool.send("LPUSH", namespace + "queue:archive", payload)

        let held = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        await expectRedisError(.io) { _ = try await queue.reserve(from: Self.archive, timeout: .zero) }
        #expect(try await inProgress(of: queue) == [payload, payload])

        let orphan = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        #expect(held.payload == payload)
        #expect(orphan.payload == payload)
        // One copy went back to the queue and out again, and the held copy never left the list.
        #expect(try await inProgress(of: queue) == [payload, payload])
        try await expectNothingLeft(in: queue, acknowledging: [held, orphan])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("fetch in flight keeps its job")
    func fetchInFlightDuringReconciliationKeepsItsJob() async throws {
        // The orphan comes from a dropped fetch on purge_log. While the list is reconciled, a
        // blocking move on archive has already moved its job, but its reply is held back.
        let rules = [
            droppingFetch(from: "purge_log"),
            RedisFaultProxy.Rule(
                markers: ["BRPOPLPUSH", namespace + "queue:archive"], fault: .delayReply(.milliseconds(1500))),
        ]
        let (queue, proxy) = try await makeProxiedQueue(rules: rules, maximumBlock: .seconds(4))
        let pusher = makeQueue(pool: pool)
        let orphanJob = JobPayload.purge(LogID(1)).makeJob(at: Date())
        let movedJob = Self.archiveJob(2)
        try await pusher.push([orphanJob])

        let blocked = Task { try await queue.reserve(from: Self.archive, timeout: .seconds(6)) }
        let isBlocking = try await eventually(within: .seconds(2)) { proxy.armedCount(ofRule: 1) == 1 }
        try #require(isBlocking, "the reserve on archive did not send BRPOPLPUSH")
        await expectRedisError(.io) { _ = try await queue.reserve(from: [WeightedQueue("purge_log")], timeout: .zero) }
        try await pusher.push([movedJob])
        let moved = try await eventually(within: .seconds(1)) { try await inProgress(of: queue).count == 2 }
        try #require(moved, "the blocking move did not take the pushed job")

        let reconciled = try await queue.reserve(from: [WeightedQueue("purge_log")], timeout: .zero)
        let taken = try await blocked.value
        #expect(reconciled?.job.jid == orphanJob.jid)
        #expect(taken?.job.jid == movedJob.jid)
        #expect(try await size(of: "archive") == 0)
        #expect(try await size(of: "purge_log") == 0)
        #expect(try await inProgress(of: queue).count == 2)
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("unique orphan claims its key again")
    func uniqueOrphanClaimsItsKeyAgain() async throws {
        // Dropping the reply to the DEL of the claim leaves the job taken, its claim deleted, and
        // no caller holding it.
        let rule = RedisFaultProxy.Rule(markers: ["DEL", namespace + "travis-logs:unique:"], fault: .dropReply)
        let (queue, proxy) = try await makeProxiedQueue(rules: [rule])
        let aggregate = { JobPayload.aggregate(LogID(9)).makeJob(at: Date()) }
        try await queue.push([aggregate()])

        await expectRedisError(.io) { _ = try await queue.reserve(from: [WeightedQueue("aggregate")], timeout: .zero) }
        #expect(try await inProgress(of: queue).count == 1)
        // A reserve from another queue reconciles without taking the job again.
        #expect(try await queue.reserve(from: Self.archive, timeout: .zero) == nil)
        #expect(try await inProgress(of: queue).isEmpty)
        #expect(try await size(of: "aggregate") == 1)

        try await makeQueue(pool: pool).push([aggregate()])
        #expect(try await size(of: "aggregate") == 1, "the pushed-back job did not claim its unique key")
        let reserved = try await queue.reserve(from: [WeightedQueue("aggregate")], timeout: .zero)
        #expect(reserved?.job.args == [.integer(9)])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("unreadable orphan goes to dead set")
    func unreadableOrphanGoesToDeadSet() async throws {
        let (queue, proxy) = try await makeProxiedQueue(rules: [droppingFetch(from: "archive")])
        _ = try await pool.send("SADD", namespace + "queues", "archive")
        _ = try await pool.send("RPUSH", namespace + "queue:archive", "not json")

        await expectRedisError(.io) { _ = try await queue.reserve(from: Self.archive, timeout: .zero) }
        #expect(try await inProgress(of: queue) == ["not json"])
        #expect(try await queue.reserve(from: Self.archive, timeout: .zero) == nil)

        #expect(try await inProgress(of: queue).isEmpty)
        #expect(try await size(of: "archive") == 0)
        let dead = try await pool.send("ZRANGE", namespace + "dead", "0", "-1").arrayValue ?? []
        #expect(dead.count == 1)
        let entry = try JSONValue(parsing: Data(try #require(dead.first?.stringValue).utf8))
        #expect(entry["class"] == "TravisLogs::UnreadableJob")
        #expect(entry["args"] == .array(["not json"]))
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("orphan with empty queue name goes to dead set")
    func orphanWithEmptyQueueNameGoesToDeadSet() async throws {
        // The push-back script reads an empty queue name as "send the dead-set entry instead", so
        // a job whose `queue` field is empty needs a real entry, or the job is lost.
        let (queue, proxy) = try await makeProxiedQueue(rules: [droppingFetch(from: "archive")])
        var job = Self.archiveJob(1)
        job.queue = ""
        let payload = SidekiqJobJSON.payload(of: job)
        _ = try await pool.send("SADD", namespace + "queues", "archive")
        _ = try await pool.send("RPUSH", namespace + "queue:archive", payload)

        await expectRedisError(.io) { _ = try await queue.reserve(from: Self.archive, timeout: .zero) }
        #expect(try await inProgress(of: queue) == [payload])
        #expect(try await queue.reserve(from: Self.archive, timeout: .zero) == nil)

        #expect(try await inProgress(of: queue).isEmpty)
        let dead = try await pool.send("ZRANGE", namespace + "dead", "0", "-1").arrayValue ?? []
        #expect(dead.count == 1)
        let deadEntry = try #require(dead.first?.stringValue)
        try #require(!deadEntry.isEmpty, "the job was dropped and an empty entry went to the dead set")
        let entry = try JSONValue(parsing: Data(deadEntry.utf8))
        #expect(entry["class"] == "TravisLogs::UnreadableJob")
        #expect(entry["args"] == .array([.string(payload)]))
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("failed retry pushes job back")
    func failedRetryPushesJobBack() async throws {
        // The proxy closes the connection instead of passing the retry script on, so Redis never
        // runs it. The job is neither done nor in the retry set, and must not stay in progress for good.
        let dropRetry = RedisFaultProxy.Rule(markers: ["EVALSHA", namespace + "retry"], fault: .dropRequest)
        let (queue, proxy) = try await makeProxiedQueue(rules: [dropRetry])
        let job = Self.archiveJob(1)
        try await queue.push([job])

        let reserved = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        await expectRedisError(.io) {
            try await queue.retry(reserved, as: reserved.job, at: Date().addingTimeInterval(60))
        }
        #expect(proxy.armedCount(ofRule: 0) == 1)
        #expect(try await inProgress(of: queue) == [reserved.payload])

        let again = try await queue.reserve(from: Self.archive, timeout: .zero)
        #expect(again?.job.jid == job.jid, "the job whose retry failed stayed in progress")
        #expect(try await inProgress(of: queue) == [reserved.payload])
        withExtendedLifetime(proxy) {}
        try await cleanUp(queue)
    }

    @Test("failing reconciliation holds back no job")
    func failingReconciliationHoldsBackNoJob() async throws {
        // An ACL user without LRANGE cannot read its in-progress list, so every reconciliation
        // fails. Fetches and the promotion of scheduled jobs must go on regardless.
        let (queue, user) = try await makeQueue(denying: "lrange")
        let scheduled = Self.archiveJob(1)
        try await queue.schedule(scheduled, at: Date().addingTimeInterval(-1))
        queue.state.withLock { $0.ledger.abandon("a payload that no holder accounts for") }

        let first = try await queue.reserve(from: Self.archive, timeout: .zero)
        #expect(first?.job.jid == scheduled.jid, "a failed reconciliation held back the scheduled job")
        #expect(queue.state.withLock { $0.ledger.isUncertain })
        let plain = Self.archiveJob(2)
        try await queue.push([plain])
        let second = try await queue.reserve(from: Self.archive, timeout: .zero)
        #expect(second?.job.jid == plain.jid, "a failed reconciliation held back the fetch")
        try await queue.close()
        queue.pool.close()
        _ = try await pool.send("ACL", "DELUSER", user)
        try await cleanUp()
    }

    @Test("LREM error reply keeps carried fetch's job")
    func lremErrorReplyKeepsCarriedJob() async throws {
        // An ACL user without LREM gets an error reply to every acknowledgement's LREM, while the
        // fetch script the acknowledgement carries still moves the next job.
        let (queue, user) = try await makeQueue(denying: "lrem", fetchesOnAcknowledge: true)
        let jobs = [Self.archiveJob(1), Self.archiveJob(2)]
        try await queue.push(jobs)

        let first = try #require(try await queue.reserve(from: Self.archive, timeout: .zero))
        await expectRedisError(.serverError) { try await queue.acknowledge(first) }
        #expect(Set(try await inProgress(of: queue)).count == 2)
        #expect(try await size(of: "archive") == 0)

        let second = try await queue.reserve(from: Self.archive, timeout: .zero)
        #expect(second?.job.jid == jobs[1].jid, "the job that the acknowledgement's fetch took was dropped")
        try await queue.close()
        queue.pool.close()
        _ = try await pool.send("ACL", "DELUSER", user)
        try await cleanUp()
    }
}
