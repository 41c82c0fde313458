import Foundation
import Testing

@testable import LogsCore

@Suite("InMemory coordination")
struct InMemoryCoordinationTests {
    private let clock = ManualClock()

    // MARK: - InMemoryChannelPresence

    @Test("unknown channel is not occupied")
    func unknownChannel() async throws {
        let presence: any ChannelPresence = InMemoryChannelPresence(clock: clock)

        #expect(try await presence.isOccupied("job-1") == false)
    }

    @Test("occupied channel expires after 6 hours")
    func presenceExpiry() async throws {
        let presence: any ChannelPresence = InMemoryChannelPresence(clock: clock)
        try await presence.markOccupied("job-1")

        let atStart = try await presence.isOccupied("job-1")
        clock.advance(by: .seconds(6 * 3600 - 1))
        let justBefore = try await presence.isOccupied("job-1")
        clock.advance(by: .seconds(1))
        let atExpiry = try await presence.isOccupied("job-1")

        #expect(atStart)
        #expect(justBefore)
        #expect(atExpiry == false)
        #expect(try await presence.isOccupied("job-2") == false)
    }

    @Test("marking occupied again restarts the expiry")
    func presenceRenewed() async throws {
        let presence: any ChannelPresence = InMemoryChannelPresence(clock: clock)
        try await presence.markOccupied("job-1")
        clock.advance(by: .seconds(5 * 3600))

        try await presence.markOccupied("job-1")
        clock.advance(by: .seconds(5 * 3600))

        #expect(try await presence.isOccupied("job-1"))
    }

    @Test("vacant channel is not occupied")
    func presenceVacant() async throws {
        let presence: any ChannelPresence = InMemoryChannelPresence(clock: clock)
        try await presence.markOccupied("private-job-1")

        try await presence.markVacant("private-job-1")

        #expect(try await presence.isOccupied("private-job-1") == false)
    }

    @Test("default presence expiry is 6 hours")
    func presenceDefault() {
        #expect(ChannelPresenceDefaults.expiry == .seconds(21_600))
    }

    // MARK: - InMemoryMaintenanceSwitch

    @Test("maintenance switch is off at first")
    func maintenanceOff() async throws {
        let maintenance: any MaintenanceSwitch = InMemoryMaintenanceSwitch(clock: clock)

        #expect(try await maintenance.remainingTime() == nil)
        #expect(try await maintenance.isEnabled() == false)
        await #expect(throws: Never.self) { try await maintenance.checkAvailable() }
    }

    @Test("maintenance switch counts down and turns itself off")
    func maintenanceExpiry() async throws {
        let maintenance: any MaintenanceSwitch = InMemoryMaintenanceSwitch(clock: clock)
        try await maintenance.enable(for: .seconds(60))

        let atStart = try await maintenance.remainingTime()
        clock.advance(by: .seconds(20))
        let later = try await maintenance.remainingTime()
        clock.advance(by: .milliseconds(39_500))
        let almost = try await maintenance.remainingTime()
        clock.advance(by: .milliseconds(500))
        let expired = try await maintenance.remainingTime()

        #expect(atStart == .seconds(60))
        #expect(later == .seconds(40))
        #expect(almost == .milliseconds(500))
        #expect(expired == nil)
        #expect(try await maintenance.isEnabled() == false)
    }

    @Test("checkAvailable throws underMaintenance with retryAfter")
    func checkAvailableThrows() async throws {
        let maintenance: any MaintenanceSwitch = InMemoryMaintenanceSwitch(clock: clock)
        try await maintenance.enable(for: .seconds(300))
        clock.advance(by: .seconds(100))

        let error = await #expect(throws: LogsError.self) { try await maintenance.checkAvailable() }

        #expect(error?.code == .underMaintenance)
        #expect(error?.retryAfter == .seconds(200))
    }

    @Test("disable turns maintenance off at once")
    func maintenanceDisable() async throws {
        let maintenance: any MaintenanceSwitch = InMemoryMaintenanceSwitch(clock: clock)
        try await maintenance.enable(for: .seconds(300))

        try await maintenance.disable()

        #expect(try await maintenance.isEnabled() == false)
    }

    // MARK: - InMemoryLock

    @Test("lock is exclusive while held")
    func lockExclusive() async throws {
        let lock: any DistributedLock = InMemoryLock(clock: clock)

        let first = try await lock.acquire("logs.aggregate", ttl: .seconds(150))
        let second = try await lock.acquire("logs.aggregate", ttl: .seconds(150))
        let other = try await lock.acquire("logs.other", ttl: .seconds(150))

        #expect(first != nil)
        #expect(second == nil)
        #expect(other != nil)
    }

    @Test("lock can be taken again after release")
    func lockRelease() async throws {
        let lock: any DistributedLock = InMemoryLock(clock: clock)
        let lease = try #require(try await lock.acquire("k", ttl: .seconds(10)))

        let released = try await lock.release(lease)
        let again = try await lock.acquire("k", ttl: .seconds(10))

        #expect(released)
        #expect(again != nil)
        #expect(again?.token != lease.token)
    }

    @Test("lock expires after its ttl")
    func lockExpiry() async throws {
        let lock: any DistributedLock = InMemoryLock(clock: clock)
        _ = try await lock.acquire("k", ttl: .seconds(10))

        clock.advance(by: .seconds(9))
        let beforeExpiry = try await lock.acquire("k", ttl: .seconds(10))
        clock.advance(by: .seconds(1))
        let afterExpiry = try await lock.acquire("k", ttl: .seconds(10))

        #expect(beforeExpiry == nil)
        #expect(afterExpiry != nil)
    }

    @Test("lock is released only by its owner's token")
    func lockOwnerOnly() async throws {
        let lock: any DistributedLock = InMemoryLock(clock: clock)
        let stale = try #require(try await lock.acquire("k", ttl: .seconds(10)))
        clock.advance(by: .seconds(11))
        let current = try #require(try await lock.acquire("k", ttl: .seconds(10)))

        let releasedByStale = try await lock.release(stale)
        let forged = try await lock.release(LockLease(key: "k", token: "guess"))
        let heldAfterwards = try await lock.acquire("k", ttl: .seconds(10))
        let releasedByOwner = try await lock.release(current)

        #expect(releasedByStale == false)
        #expect(forged == false)
        #expect(heldAfterwards == nil)
        #expect(releasedByOwner)
    }

    @Test("withLock runs the body and releases")
    func withLockReleases() async throws {
        let lock: any DistributedLock = InMemoryLock(clock: clock)

        let result = try await lock.withLock("k", ttl: .seconds(10)) { 42 }
        let again = try await lock.acquire("k", ttl: .seconds(10))

        #expect(result == 42)
        #expect(again != nil)
    }

    @Test("withLock returns nil when the lock is held")
    func withLockHeld() async throws {
        let lock: any DistributedLock = InMemoryLock(clock: clock)
        _ = try await lock.acquire("k", ttl: .seconds(10))

        let result = try await lock.withLock("k", ttl: .seconds(10)) { 42 }

        #expect(result == nil)
    }

    @Test("withLock releases when the body throws")
    func withLockReleasesOnThrow() async throws {
        struct BodyFailed: Error {}
        let lock: any DistributedLock = InMemoryLock(clock: clock)

        await #expect(throws: BodyFailed.self) {
            _ = try await lock.withLock("k", ttl: .seconds(10)) { () throws -> Int in throw BodyFailed() }
        }
        let again = try await lock.acquire("k", ttl: .seconds(10))

        #expect(again != nil)
    }

    // MARK: - InMemoryLogIDCache

    @Test("cache returns what was stored")
    func cacheStores() async {
        let cache = InMemoryLogIDCache(capacity: 10)
        await cache.store(LogID(100), forJobID: JobID(1))

        #expect(await cache.logID(forJobID: JobID(1)) == LogID(100))
        #expect(await cache.logID(forJobID: JobID(2)) == nil)
    }

    @Test("cache never holds more than its capacity")
    func cacheBound() async {
        let cache = InMemoryLogIDCache(capacity: 50)
        for id in 1...1_000 {
            await cache.store(LogID(Int64(id) + 10_000), forJobID: JobID(Int64(id)))

            #expect(await cache.count <= 50, "after \(id) entries")
        }

        #expect(await cache.logID(forJobID: JobID(1_000)) == LogID(11_000))
    }

    @Test("cache evicts the least recently used entries")
    func cacheEvictsOldest() async {
        let cache = InMemoryLogIDCache(capacity: 10)
        for id in 1...10 {
            await cache.store(LogID(Int64(id)), forJobID: JobID(Int64(id)))
        }
        _ = await cache.logID(forJobID: JobID(1))

        await cache.store(LogID(11), forJobID: JobID(11))

        #expect(await cache.logID(forJobID: JobID(1)) == LogID(1))
        #expect(await cache.logID(forJobID: JobID(2)) == nil)
        #expect(await cache.logID(forJobID: JobID(11)) == LogID(11))
    }

    @Test("cache of capacity 1 keeps the newest entry")
    func cacheCapacityOne() async {
        let cache = InMemoryLogIDCache(capacity: 0)
        await cache.store(LogID(1), forJobID: JobID(1))
        await cache.store(LogID(2), forJobID: JobID(2))

        #expect(await cache.count == 1)
        #expect(await cache.logID(forJobID: JobID(2)) == LogID(2))
    }

    // MARK: - InMemoryIgnoredIDs

    @Test("ignored ids are reported as ignored")
    func ignoredIDs() async throws {
        let ignored = InMemoryIgnoredIDs(jobIDs: [JobID(1)])
        await ignored.ignore(logID: LogID(9))

        #expect(await ignored.isIgnored(jobID: JobID(1)))
        #expect(await ignored.isIgnored(jobID: JobID(2)) == false)
        #expect(await ignored.isIgnored(logID: LogID(9)))
        #expect(await ignored.isIgnored(logID: LogID(1)) == false)
    }
}
