import Foundation
import LogsCore
import LogsHTTP
import LogsTransport
import TestSupport
import Testing

/// The stream endpoint fed by Redis pub/sub: parts forwarded by one pipeline reach the stream
/// clients of a server built on other Redis connections.
@Suite(
    "Live stream over Redis pub/sub",
    .enabled(
        if: ProcessInfo.processInfo.environment["REDIS_URL"] != nil
            || ProcessInfo.processInfo.environment["CI"] == "true",
        "REDIS_URL is unset; run script/test, or script/services/redis start DIR"))
struct RedisStreamTests {
    static let jobID = JobID(42)

    /// Reconnect delays short enough for a test, and a quiet logger.
    static let settings = RedisConnectionPool.Settings(
        size: 2, reconnectInitialDelay: .milliseconds(50), reconnectMaximumDelay: .milliseconds(500))

    static func redisURL() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["REDIS_URL"],
            "REDIS_URL is unset under CI=true: script/services/redis did not run")
    }

    /// Returns a channel that no other test run publishes on, because pub/sub channels span all databases.
    static func uniqueChannel() -> String {
        "test-live-parts-\(UUID().uuidString.prefix(8))"
    }

    /// Makes a pipeline apart from the server's, whose forwarder publishes on `channel`.
    static func forwardingPipeline(pool: RedisConnectionPool, channel: String) -> Pipeline {
        Pipeline.inMemory(
            configuration: .defaults, liveStream: RedisLiveBroadcaster(pool: pool, channel: channel),
            logger: Logger(label: "forwarder") { _ in RecordingLogHandler() })
    }

    static func part(_ number: Int, _ text: String, final: Bool = false) -> RawLogPart {
        RawLogPart(
            jobID: jobID, log: Data(text.utf8).base64EncodedString(), number: .number(number), isFinal: final,
            encoding: "base64")
    }

    /// Waits until Redis counts `count` subscribers of `channel`.
    static func waitForRedisSubscribers(_ count: Int, channel: String, pool: RedisConnectionPool) async throws {
        for _ in 0..<400 {
            let reply = try? await pool.send("PUBSUB", "NUMSUB", channel)
            if reply?.arrayValue?.last?.integerValue == Int64(count) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("channel \(channel) never had \(count) subscribers")
    }

    static func waitForStreamClient(_ source: RedisLiveEventSource) async throws {
        for _ in 0..<400 {
            if source.subscriberCount(jobID: jobID) == 1 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the stream endpoint never subscribed to job \(jobID)")
    }

    static func makeServer(
        url: String, channel: String, logs: RecordingLogHandler = RecordingLogHandler(),
        audience: (any LiveStreamAudience)? = nil, renewalInterval: Duration = .seconds(20),
        heartbeat: Duration = .seconds(15)
    ) throws -> (APITestServer, RedisLiveEventSource) {
        let endpoint = try RedisEndpoint(url: url)
        let holder = SourceHolder()
        let server = try APITestServer(
            liveEvents: { pipeline in
                let source = RedisLiveEventSource(
                    endpoint: endpoint, channel: channel, settings: settings, audience: audience,
                    renewalInterval: renewalInterval, logger: Logger(label: "web") { _ in logs })
                holder.source = source
                return source
            }, settings: LogsAPI.Settings(streamHeartbeat: heartbeat))
        let source = try #require(holder.source)
        source.start()
        return (server, source)
    }

    @Test("part forwarded elsewhere reaches SSE client")
    func forwardedPartReachesClient() async throws {
        let url = try Self.redisURL()
        let channel = Self.uniqueChannel()
        let (server, source) = try Self.makeServer(url: url, channel: channel)
        defer {
            source.stop()
            Task { await server.stop() }
        }
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: url), settings: Self.settings, logger: Logger(label: "test"))
        defer { pool.close() }
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        let logID = await server.store.findOrCreateLog(jobID: Self.jobID, at: Date())
        await server.store.insertParts(
            [NewLogPart(logID: logID, number: 0, content: "stored ", isFinal: false)], at: Date())

        async let response = StreamTests.readStream(server)
        try await Self.waitForStreamClient(source)
        let forwarding = Self.forwardingPipeline(pool: pool, channel: channel)
        await forwarding.forwarder.forward([Self.part(1, "live one "), Self.part(2, "live two ")])
        await forwarding.forwarder.forward([Self.part(3, "", final: true)])

        let stream = try await response
        let events = StreamTests.events(stream.text)
        #expect(events.map(\.id) == ["0", "1", "2", "3", nil])
        #expect(events.map(\.event) == ["part", "part", "part", "part", "end"])
        #expect(stream.text.contains(#""_log":"stored ""#))
        #expect(stream.text.contains(#""_log":"live two ""#))
        #expect(source.subscriberCount(jobID: Self.jobID) == 0)
    }

    @Test("Redis restart: missed parts sent in order")
    func redisRestartMissedPartsInOrder() async throws {
        let redis = try RestartableRedisServer()
        defer { redis.stop() }
        let channel = Self.uniqueChannel()
        let logs = RecordingLogHandler()
        let (server, source) = try Self.makeServer(url: redis.url, channel: channel, logs: logs)
        defer {
            source.stop()
            Task { await server.stop() }
        }
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: redis.url), settings: Self.settings, logger: Logger(label: "test"))
        defer { pool.close() }
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        let logID = await server.store.findOrCreateLog(jobID: Self.jobID, at: Date())
        await server.store.insertParts(
            [NewLogPart(logID: logID, number: 0, content: "before ", isFinal: false)], at: Date())

        async let response = StreamTests.readStream(server)
        try await Self.waitForStreamClient(source)
        let forwarding = Self.forwardingPipeline(pool: pool, channel: channel)
        await forwarding.forwarder.forward([Self.part(0, "before ")])

        redis.stop()
        // Parts stored while the subscription is down reach the client from the store.
        await server.store.insertParts(
            (1...3).map { NewLogPart(logID: logID, number: $0, content: "during \($0) ", isFinal: false) },
            at: Date())
        try await Task.sleep(for: .milliseconds(300))
        try redis.start()
        // The test pool's connections broke too, so NUMSUB is retried until they reconnect.
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        // Part 2 comes live as well; the client gets it once.
        await forwarding.forwarder.forward([
            Self.part(4, "after "), Self.part(2, "during 2 "), Self.part(5, "", final: true),
        ])

        let stream = try await response
        let events = StreamTests.events(stream.text)
        #expect(events.map(\.id) == ["0", "1", "2", "3", "4", "5", nil])
        #expect(events.map(\.event) == ["part", "part", "part", "part", "part", "part", "end"])
        #expect(stream.text.contains(#""_log":"during 2 ""#))
        #expect(stream.text.contains(#""_log":"after ""#))
        let messages = logs.entries.map(\.message)
        #expect(messages.contains("the Redis subscription was lost, reconnecting"))
        #expect(messages.filter { $0 == "subscribed to a Redis channel" }.count == 2)
    }

    @Test("forwarder publishes watched jobs only")
    func forwarderPublishesWatchedJobsOnly() async throws {
        let url = try Self.redisURL()
        let channel = Self.uniqueChannel()
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: url), settings: Self.settings, logger: Logger(label: "test"))
        defer { pool.close() }
        let audience = RedisLiveStreamAudience(pool: pool, channel: channel, lifetime: .seconds(30))
        let (server, source) = try Self.makeServer(url: url, channel: channel, audience: audience)
        defer {
            source.stop()
            Task { await server.stop() }
        }
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        let otherJob = JobID(43)
        #expect(try await audience.watchedJobs(among: [Self.jobID, otherJob]).isEmpty)

        async let response = StreamTests.readStream(server)
        try await Self.waitForStreamClient(source)
        #expect(try await audience.watchedJobs(among: [Self.jobID, otherJob]) == [Self.jobID])
        let ttl = try await pool.send("PTTL", audience.key(Self.jobID)).integerValue ?? 0
        #expect(ttl > 20_000)
        #expect(ttl <= 30_000)

        let metrics = MetricsRegistry()
        var forwarding = Pipeline.inMemory(
            configuration: .defaults, liveStream: RedisLiveBroadcaster(pool: pool, channel: channel),
            logger: Logger(label: "forwarder") { _ in RecordingLogHandler() }, metrics: metrics)
        forwarding.streamAudience = CachedLiveStreamAudience(audience)
        let other = RawLogPart(jobID: otherJob, log: "other", number: .number(1))
        await forwarding.forwarder.forward([Self.part(1, "live one "), other, Self.part(2, "", final: true)])

        let events = StreamTests.events(try await response.text)
        #expect(events.map(\.id) == ["1", "2", nil])
        let counter = { (result: String) in
            metrics.counter("travis_logs_live_events_total", labels: ["target": "stream", "result": result]).value
        }
        #expect(counter("sent") == 2)
        #expect(counter("skipped") == 1)
    }

    @Test("marks renewed while the client stays")
    func marksRenewedWhileClientStays() async throws {
        let url = try Self.redisURL()
        let channel = Self.uniqueChannel()
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: url), settings: Self.settings, logger: Logger(label: "test"))
        defer { pool.close() }
        let audience = RedisLiveStreamAudience(pool: pool, channel: channel, lifetime: .milliseconds(400))
        let (server, source) = try Self.makeServer(
            url: url, channel: channel, audience: audience, renewalInterval: .milliseconds(100))
        defer {
            source.stop()
            Task { await server.stop() }
        }
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        async let response = StreamTests.readStream(server)
        try await Self.waitForStreamClient(source)
        // Three lifetimes later the mark is still there, renewed by the web side.
        for _ in 0..<6 {
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await audience.watchedJobs(among: [Self.jobID]) == [Self.jobID])
        }
        let forwarding = Self.forwardingPipeline(pool: pool, channel: channel)
        await forwarding.forwarder.forward([Self.part(0, "", final: true)])
        #expect(StreamTests.events(try await response.text).map(\.id) == ["0", nil])
        // With the client gone, nothing renews the mark.
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await audience.watchedJobs(among: [Self.jobID]).isEmpty)
    }

    @Test("Redis restart: marks set again")
    func redisRestartMarksSetAgain() async throws {
        let redis = try RestartableRedisServer()
        defer { redis.stop() }
        let channel = Self.uniqueChannel()
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: redis.url), settings: Self.settings, logger: Logger(label: "test"))
        defer { pool.close() }
        let audience = RedisLiveStreamAudience(pool: pool, channel: channel)
        // Renewed far later than the test waits, so only the resubscription and its retries can set
        // the mark again.
        let (server, source) = try Self.makeServer(
            url: redis.url, channel: channel, audience: audience, renewalInterval: .seconds(600))
        defer {
            source.stop()
            Task { await server.stop() }
        }
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        #expect(try await audience.watchedJobs(among: [Self.jobID]).isEmpty)
        async let response = StreamTests.readStream(server)
        try await Self.waitForStreamClient(source)
        #expect(try await audience.watchedJobs(among: [Self.jobID]) == [Self.jobID])

        // The server keeps no data across the restart, so the mark is gone with it.
        redis.stop()
        try redis.start()
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        var watched: Set<JobID> = []
        for _ in 0..<60 where watched.isEmpty {
            watched = (try? await audience.watchedJobs(among: [Self.jobID])) ?? []
            if watched.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(watched == [Self.jobID])

        let forwarding = Self.forwardingPipeline(pool: pool, channel: channel)
        await forwarding.forwarder.forward([Self.part(0, "", final: true)])
        #expect(StreamTests.events(try await response.text).map(\.id) == ["0", nil])
    }

    /// A server whose stream marks its jobs in `audience`, and `stale`, the same audience as a
    /// forwarder that read job 42 as unwatched just before the client came and keeps that result
    /// for a minute.
    struct StaleAudienceSetup {
        let audience: RedisLiveStreamAudience
        let stale: CachedLiveStreamAudience
        let server: APITestServer
        let source: RedisLiveEventSource
        let logID: LogID
    }

    static func withStaleAudience(
        heartbeat: Duration = .seconds(15), _ body: (StaleAudienceSetup) async throws -> Void
    ) async throws {
        let url = try redisURL()
        let channel = uniqueChannel()
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: url), settings: settings, logger: Logger(label: "test"))
        defer { pool.close() }
        let audience = RedisLiveStreamAudience(pool: pool, channel: channel)
        let (server, source) = try makeServer(url: url, channel: channel, audience: audience, heartbeat: heartbeat)
        defer {
            source.stop()
            Task { await server.stop() }
        }
        try await waitForRedisSubscribers(1, channel: channel, pool: pool)
        let stale = CachedLiveStreamAudience(audience, maximumAge: .seconds(60))
        #expect(try await stale.watchedJobs(among: [jobID]).isEmpty)
        let logID = await server.store.findOrCreateLog(jobID: jobID, at: Date())
        try await body(
            StaleAudienceSetup(audience: audience, stale: stale, server: server, source: source, logID: logID))
    }

    @Test("parts skipped before mark sent from store")
    func partsSkippedBeforeMarkComeFromStore() async throws {
        try await Self.withStaleAudience { setup in
            async let response = StreamTests.readStream(setup.server)
            try await Self.waitForStreamClient(setup.source)
            var forwarding = Self.forwardingPipeline(pool: setup.audience.pool, channel: setup.audience.channel)
            forwarding.streamAudience = setup.stale
            await forwarding.forwarder.forward([Self.part(0, "early "), Self.part(1, "", final: true)])
            await setup.server.store.insertParts(
                [
                    NewLogPart(logID: setup.logID, number: 0, content: "early ", isFinal: false),
                    NewLogPart(logID: setup.logID, number: 1, content: "", isFinal: true),
                ], at: Date())

            let started = ContinuousClock.now
            let stream = try await response
            #expect(StreamTests.events(stream.text).map(\.id) == ["0", "1", nil])
            #expect(stream.text.contains(#""_log":"early ""#))
            // Read by the first quiet read of the store, not by the client giving up.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test("skipped parts wait for lagging store")
    func skippedPartsWaitForLaggingStore() async throws {
        // Keep-alive comments every second keep the test client reading while the stream waits.
        try await Self.withStaleAudience(heartbeat: .seconds(1)) { setup in
            async let response = StreamTests.readStream(setup.server)
            try await Self.waitForStreamClient(setup.source)
            // Parts 0 and 1 go to a forwarder that still keeps the job as unwatched, and part 2 to
            // one that reads the job's mark.
            var staleForwarding = Self.forwardingPipeline(pool: setup.audience.pool, channel: setup.audience.channel)
            staleForwarding.streamAudience = setup.stale
            await staleForwarding.forwarder.forward([Self.part(0, "zero "), Self.part(1, "one ")])
            var freshForwarding = Self.forwardingPipeline(pool: setup.audience.pool, channel: setup.audience.channel)
            freshForwarding.streamAudience = setup.audience
            await freshForwarding.forwarder.forward([Self.part(2, "", final: true)])
            // The store gets all three parts 7 s later, after the 5 s that a stream waits for a gap.
            try await Task.sleep(for: .seconds(7))
            await setup.server.store.insertParts(
                [
                    NewLogPart(logID: setup.logID, number: 0, content: "zero ", isFinal: false),
                    NewLogPart(logID: setup.logID, number: 1, content: "one ", isFinal: false),
                    NewLogPart(logID: setup.logID, number: 2, content: "", isFinal: true),
                ], at: Date())

            let stream = try await response
            #expect(StreamTests.events(stream.text).map(\.id) == ["0", "1", "2", nil])
            #expect(stream.text.contains(#""_log":"one ""#))
        }
    }

    @Test("malformed channel message is skipped")
    func malformedMessageSkipped() async throws {
        let url = try Self.redisURL()
        let channel = Self.uniqueChannel()
        let logs = RecordingLogHandler()
        let (server, source) = try Self.makeServer(url: url, channel: channel, logs: logs)
        defer {
            source.stop()
            Task { await server.stop() }
        }
        let pool = RedisConnectionPool(
            endpoint: try RedisEndpoint(url: url), settings: Self.settings, logger: Logger(label: "test"))
        defer { pool.close() }
        try await Self.waitForRedisSubscribers(1, channel: channel, pool: pool)
        async let response = StreamTests.readStream(server)
        try await Self.waitForStreamClient(source)
        _ = try await pool.send("PUBLISH", channel, "not json")
        _ = try await pool.send("PUBLISH", channel, #"{"id": 42, "number": 0}"#)
        let forwarding = Self.forwardingPipeline(pool: pool, channel: channel)
        await forwarding.forwarder.forward([Self.part(0, "", final: true)])

        let events = StreamTests.events(try await response.text)
        #expect(events.map(\.id) == ["0", nil])
        let skipped = logs.entries.filter { $0.message == "skipped a live message that is not a log part event" }
        #expect(skipped.count == 2)
    }
}

/// The source that `APITestServer`'s factory made, read back after the server is built.
///
/// `@unchecked Sendable`: the factory runs synchronously inside `APITestServer.init`, which
/// finishes before the test reads `source`.
private final class SourceHolder: @unchecked Sendable {
    var source: RedisLiveEventSource?
}
