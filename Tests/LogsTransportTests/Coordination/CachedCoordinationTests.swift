import LogsCore
import Synchronization
import Testing

@testable import LogsTransport

/// The caches that keep `web` from reading the maintenance switch and the ignored ids from Redis
/// on every request.
@Suite("Cached maintenance switch and ignored ids")
struct CachedCoordinationTests {
    /// Counts the reads that reach the wrapped implementation.
    final class CountingSwitch: MaintenanceSwitch {
        let wrapped = InMemoryMaintenanceSwitch()
        let reads = Atomic<Int>(0)

        func remainingTime() async throws -> Duration? {
            reads.add(1, ordering: .relaxed)
            return await wrapped.remainingTime()
        }

        func enable(for duration: Duration) async throws { await wrapped.enable(for: duration) }

        func disable() async throws { await wrapped.disable() }
    }

    final class CountingIgnoredIDs: IgnoredIDs {
        let wrapped = InMemoryIgnoredIDs()
        let reads = Atomic<Int>(0)

        func isIgnored(jobID: JobID) async throws -> Bool {
            reads.add(1, ordering: .relaxed)
            return await wrapped.isIgnored(jobID: jobID)
        }

        func isIgnored(logID: LogID) async throws -> Bool {
            reads.add(1, ordering: .relaxed)
            return await wrapped.isIgnored(logID: logID)
        }
    }

    final class CountingPresence: ChannelPresence {
        let wrapped = InMemoryChannelPresence()
        let reads = Atomic<Int>(0)

        func markOccupied(_ channel: String) async throws { await wrapped.markOccupied(channel) }

        func markVacant(_ channel: String) async throws { await wrapped.markVacant(channel) }

        func isOccupied(_ channel: String) async throws -> Bool {
            reads.add(1, ordering: .relaxed)
            return await wrapped.isOccupied(channel)
        }
    }

    @Test("switch read once within maximum age")
    func switchReadOnce() async throws {
        let counting = CountingSwitch()
        let cached = CachedMaintenanceSwitch(counting, maximumAge: .seconds(60))
        for _ in 0..<5 { #expect(try await cached.remainingTime() == nil) }
        #expect(counting.reads.load(ordering: .relaxed) == 1)
    }

    @Test("enable through the cache takes effect at once")
    func enableDropsReading() async throws {
        let counting = CountingSwitch()
        let cached = CachedMaintenanceSwitch(counting, maximumAge: .seconds(60))
        #expect(try await cached.remainingTime() == nil)
        try await cached.enable(for: .seconds(30))
        let remaining = try #require(try await cached.remainingTime())
        #expect(remaining > .seconds(25))
        #expect(remaining <= .seconds(30))
        await #expect(throws: LogsError.self) { try await cached.checkAvailable() }
        try await cached.disable()
        #expect(try await cached.remainingTime() == nil)
    }

    @Test("switch reread after maximum age")
    func switchRereadAfterMaximumAge() async throws {
        let counting = CountingSwitch()
        let cached = CachedMaintenanceSwitch(counting, maximumAge: .milliseconds(50))
        #expect(try await cached.remainingTime() == nil)
        await counting.wrapped.enable(for: .seconds(30))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cached.remainingTime() != nil)
        #expect(counting.reads.load(ordering: .relaxed) == 2)
    }

    @Test("switch state without waiting from a fresh reading")
    func switchStateWithoutWaiting() async throws {
        let counting = CountingSwitch()
        let cached = CachedMaintenanceSwitch(counting, maximumAge: .milliseconds(100))
        #expect(cached.stateWithoutWaiting() == nil)
        #expect(try await cached.remainingTime() == nil)
        #expect(cached.stateWithoutWaiting() == .off)

        try await cached.enable(for: .seconds(30))
        #expect(cached.stateWithoutWaiting() == nil)
        _ = try await cached.remainingTime()
        guard case .on(let remaining) = cached.stateWithoutWaiting() else {
            Issue.record("the switch was enabled, but the kept reading is not on")
            return
        }
        #expect(remaining > .seconds(25))

        try await Task.sleep(for: .milliseconds(200))
        #expect(cached.stateWithoutWaiting() == nil)
        #expect(counting.reads.load(ordering: .relaxed) == 2)
    }

    @Test("ignored ids cached per id")
    func ignoredIDsCachedPerID() async throws {
        let counting = CountingIgnoredIDs()
        await counting.wrapped.ignore(jobID: JobID(7))
        let cached = CachedIgnoredIDs(counting, maximumAge: .seconds(60))
        for _ in 0..<3 {
            #expect(try await cached.isIgnored(jobID: JobID(7)))
            #expect(try await !cached.isIgnored(jobID: JobID(8)))
            #expect(try await !cached.isIgnored(logID: LogID(7)))
        }
        #expect(counting.reads.load(ordering: .relaxed) == 3)
    }

    @Test("ignored id added later seen after maximum age")
    func ignoredIDAddedLater() async throws {
        let counting = CountingIgnoredIDs()
        let cached = CachedIgnoredIDs(counting, maximumAge: .milliseconds(50))
        #expect(try await !cached.isIgnored(logID: LogID(9)))
        await counting.wrapped.ignore(logID: LogID(9))
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cached.isIgnored(logID: LogID(9)))
    }

    @Test("ignored ids without waiting from kept results")
    func ignoredIDsWithoutWaiting() async throws {
        let counting = CountingIgnoredIDs()
        await counting.wrapped.ignore(jobID: JobID(7))
        let cached = CachedIgnoredIDs(counting, maximumAge: .milliseconds(100))
        #expect(cached.isIgnoredWithoutWaiting(jobID: JobID(7)) == nil)
        _ = try await cached.isIgnored(jobID: JobID(7))
        _ = try await cached.isIgnored(logID: LogID(7))
        #expect(cached.isIgnoredWithoutWaiting(jobID: JobID(7)) == true)
        #expect(cached.isIgnoredWithoutWaiting(logID: LogID(7)) == false)
        #expect(cached.isIgnoredWithoutWaiting(jobID: JobID(8)) == nil)

        try await Task.sleep(for: .milliseconds(200))
        #expect(cached.isIgnoredWithoutWaiting(jobID: JobID(7)) == nil)
    }

    @Test("ignored ids cache bounded by capacity")
    func ignoredIDsBounded() async throws {
        let counting = CountingIgnoredIDs()
        let cached = CachedIgnoredIDs(counting, maximumAge: .seconds(60), capacity: 2)
        for id in 1...3 { _ = try await cached.isIgnored(jobID: JobID(Int64(id))) }
        // The third result dropped the first two, so job 1 is read again.
        _ = try await cached.isIgnored(jobID: JobID(1))
        #expect(counting.reads.load(ordering: .relaxed) == 4)
    }

    @Test("presence read once per channel within maximum age")
    func presenceReadOncePerChannel() async throws {
        let counting = CountingPresence()
        await counting.wrapped.markOccupied("job-1")
        let cached = CachedChannelPresence(counting, maximumAge: .seconds(60))
        for _ in 0..<3 {
            #expect(try await cached.isOccupied("job-1"))
            #expect(try await !cached.isOccupied("job-2"))
        }
        #expect(counting.reads.load(ordering: .relaxed) == 2)
    }

    @Test("presence marked through the cache takes effect at once")
    func presenceMarkedThroughCache() async throws {
        let counting = CountingPresence()
        let cached = CachedChannelPresence(counting, maximumAge: .seconds(60))
        #expect(try await !cached.isOccupied("job-1"))
        try await cached.markOccupied("job-1")
        #expect(try await cached.isOccupied("job-1"))
        try await cached.markVacant("job-1")
        #expect(try await !cached.isOccupied("job-1"))
        #expect(await !counting.wrapped.isOccupied("job-1"))
    }

    @Test("presence marked elsewhere seen after maximum age")
    func presenceMarkedElsewhere() async throws {
        let counting = CountingPresence()
        let cached = CachedChannelPresence(counting, maximumAge: .milliseconds(50))
        #expect(try await !cached.isOccupied("job-4"))
        await counting.wrapped.markOccupied("job-4")
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cached.isOccupied("job-4"))
    }

    /// Counts the calls that read the audience, and the jobs each call requested.
    final class CountingAudience: LiveStreamAudience {
        let wrapped = InMemoryLiveStreamAudience()
        let requests = Mutex<[[JobID]]>([])

        func markWatched(_ jobIDs: [JobID]) async throws { await wrapped.markWatched(jobIDs) }

        func watchedJobs(among jobIDs: [JobID]) async throws -> Set<JobID> {
            requests.withLock { $0.append(jobIDs) }
            return await wrapped.watchedJobs(among: jobIDs)
        }
    }

    @Test("audience reads missing jobs once")
    func audienceReadsMissingJobsOnce() async throws {
        let counting = CountingAudience()
        await counting.wrapped.markWatched([JobID(1)])
        let cached = CachedLiveStreamAudience(counting, maximumAge: .seconds(60))
        #expect(try await cached.watchedJobs(among: [JobID(1), JobID(2)]) == [JobID(1)])
        #expect(try await cached.watchedJobs(among: [JobID(2), JobID(3), JobID(1)]) == [JobID(1)])
        #expect(try await cached.watchedJobs(among: [JobID(3), JobID(1)]) == [JobID(1)])
        #expect(counting.requests.withLock { $0 } == [[JobID(1), JobID(2)], [JobID(3)]])
    }

    @Test("audience marks seen after maximum age")
    func audienceMarks() async throws {
        let counting = CountingAudience()
        let cached = CachedLiveStreamAudience(counting, maximumAge: .milliseconds(50))
        #expect(try await cached.watchedJobs(among: [JobID(4), JobID(5)]).isEmpty)
        try await cached.markWatched([JobID(5)])
        await counting.wrapped.markWatched([JobID(4)])
        #expect(try await cached.watchedJobs(among: [JobID(4), JobID(5)]) == [JobID(5)])
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await cached.watchedJobs(among: [JobID(4), JobID(5)]) == [JobID(4), JobID(5)])
    }

    @Test("presence reads missing channels together")
    func presenceReadsMissingChannels() async throws {
        let counting = CountingPresence()
        await counting.wrapped.markOccupied("job-1")
        let cached = CachedChannelPresence(counting, maximumAge: .seconds(60))
        #expect(try await cached.isOccupied("job-1"))
        #expect(try await cached.occupiedChannels(among: ["job-1", "job-2", "job-3"]) == ["job-1"])
        #expect(try await cached.occupiedChannels(among: ["job-2", "job-3"]).isEmpty)
        // One read for job-1 alone, then one per channel through the default batch read.
        #expect(counting.reads.load(ordering: .relaxed) == 3)
    }
}
