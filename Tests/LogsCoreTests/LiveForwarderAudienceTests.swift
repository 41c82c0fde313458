import Foundation
import LogsCore
import Testing

/// The live forwarder with a stream audience: each part goes only to the targets that watch its
/// job, and a part that goes to none is not decoded.
@Suite("Live forwarder targets by audience")
struct LiveForwarderAudienceTests {
    struct Targets {
        let pusher = RecordingBroadcaster()
        let stream = RecordingBroadcaster()
        let presence = InMemoryChannelPresence()
        let audience = InMemoryLiveStreamAudience()
        let metrics = MetricsRegistry()
        let logs = RecordingLogHandler()

        func forwarder(audience: (any LiveStreamAudience)? = nil) -> LiveForwarder {
            LiveForwarder(
                pusher: pusher, liveStream: stream, presence: presence, checksExistence: true,
                usesPrivateChannels: false, streamAudience: audience ?? self.audience,
                logger: Logger(label: "test") { _ in logs }, metrics: metrics)
        }

        func count(_ target: String, _ result: String) -> Int {
            Int(metrics.counter("travis_logs_live_events_total", labels: ["target": target, "result": result]).value)
        }
    }

    /// Returns a part whose base64 does not decode, so decoding it drops it with a warning.
    static func undecodable(_ job: Int64) -> RawLogPart {
        RawLogPart(jobID: JobID(job), log: "%%%", number: .number(1), encoding: "base64")
    }

    static func part(_ job: Int64, _ number: Int) -> RawLogPart {
        RawLogPart(jobID: JobID(job), log: "part \(number) ", number: .number(number))
    }

    @Test("targets get watched jobs only")
    func targetsByAudience() async throws {
        let targets = Targets()
        await targets.audience.markWatched([JobID(30), JobID(33)])
        await targets.presence.markOccupied("job-31")
        await targets.presence.markOccupied("job-33")
        let parts = [30, 31, 32, 33].flatMap { job in [Self.part(job, 1), Self.part(job, 2)] }
        await targets.forwarder().forward(parts + [Self.undecodable(32)])

        let streamed = await targets.stream.events
        #expect(streamed.map(\.jobID.rawValue) == [30, 30, 33, 33])
        #expect(streamed.map(\.number) == [1, 2, 1, 2])
        #expect(await targets.pusher.events.map(\.channel) == ["job-31", "job-31", "job-33", "job-33"])
        #expect(targets.count("stream", "skipped") == 5)
        #expect(targets.count("pusher", "skipped") == 5)
        // Job 32's bad part was never decoded, so nothing was dropped.
        #expect(targets.count("pusher", "dropped") == 0)
        #expect(targets.logs.entries.isEmpty)
    }

    @Test("many distinct jobs forwarded in linear time")
    func manyDistinctJobsInLinearTime() async throws {
        let targets = Targets()
        let jobCount = 50_000
        await targets.audience.markWatched([JobID(1)])
        let parts = (1...jobCount).map { Self.part(Int64($0), 1) }
        let started = ContinuousClock.now
        await targets.forwarder().forward(parts)
        let elapsed = ContinuousClock.now - started

        #expect(await targets.stream.events.map(\.jobID.rawValue) == [1])
        #expect(targets.count("stream", "skipped") == jobCount - 1)
        // Comparing each job id with every earlier one took 67 s for this many jobs in a debug
        // build on two cores. A set of the job ids seen takes well under a second.
        #expect(elapsed < .seconds(10))
    }

    @Test("mark expires after its lifetime")
    func markExpires() async throws {
        let clock = ManualClock()
        let audience = InMemoryLiveStreamAudience(clock: clock, lifetime: .seconds(60))
        await audience.markWatched([JobID(40)])
        #expect(await audience.watchedJobs(among: [JobID(40), JobID(41)]) == [JobID(40)])
        clock.advance(by: .seconds(61))
        #expect(await audience.watchedJobs(among: [JobID(40)]).isEmpty)
    }

    struct AudienceDown: Error {}

    struct UnreadableAudience: LiveStreamAudience {
        func markWatched(_ jobIDs: [JobID]) async throws { throw AudienceDown() }
        func watchedJobs(among jobIDs: [JobID]) async throws -> Set<JobID> { throw AudienceDown() }
    }

    @Test("unreadable audience streams every part")
    func unreadableAudienceStreamsEverything() async throws {
        let targets = Targets()
        let forwarder = targets.forwarder(audience: UnreadableAudience())
        await forwarder.forward([Self.part(50, 1)])
        await forwarder.forward([Self.part(51, 1)])

        #expect(await targets.stream.events.map(\.jobID.rawValue) == [50, 51])
        let warnings = targets.logs.entries.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("stream audience") == true)
    }
}
