import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// The coordination keys have fixed names, as the original uses them, so this suite owns a
/// database of its own and runs its tests one at a time.
@Suite("Redis coordination", .serialized, .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct RedisCoordinationTests {
    static let database = 11
    let pool: RedisConnectionPool

    init() async throws {
        pool = try RedisTestServer.makePool(database: Self.database)
        _ = try await pool.send("FLUSHDB")
    }

    @Test("presence key and expiry")
    func presenceKeyAndExpiry() async throws {
        let presence = RedisChannelPresence(pool: pool)
        #expect(try await presence.isOccupied("job-1") == false)
        try await presence.markOccupied("job-1")
        #expect(try await presence.isOccupied("job-1"))
        let ttl = try #require(try await pool.send("TTL", "logs:channel-occupied:job-1").integerValue)
        #expect((21_590...21_600).contains(ttl))
        try await presence.markVacant("job-1")
        #expect(try await presence.isOccupied("job-1") == false)
    }

    @Test("presence expires")
    func presenceExpires() async throws {
        let presence = RedisChannelPresence(pool: pool, expiry: .milliseconds(100))
        try await presence.markOccupied("job-2")
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await presence.isOccupied("job-2") == false)
    }

    @Test("presence of several channels")
    func presenceOfSeveralChannels() async throws {
        let presence = RedisChannelPresence(pool: pool)
        try await presence.markOccupied("job-7")
        try await presence.markOccupied("job-9")
        let occupied = try await presence.occupiedChannels(among: ["job-7", "job-8", "job-9", "job-7"])
        #expect(occupied == ["job-7", "job-9"])
        #expect(try await presence.occupiedChannels(among: []).isEmpty)
    }

    @Test("stream audience keys and expiry")
    func streamAudience() async throws {
        let audience = RedisLiveStreamAudience(pool: pool, channel: "test-live", lifetime: .milliseconds(300))
        #expect(audience.key(JobID(12)) == "test-live:watched:12")
        #expect(try await audience.watchedJobs(among: [JobID(11), JobID(12)]).isEmpty)
        try await audience.markWatched([JobID(11), JobID(13)])
        #expect(try await audience.watchedJobs(among: [JobID(11), JobID(12), JobID(13)]) == [JobID(11), JobID(13)])
        let ttl = try #require(try await pool.send("PTTL", "test-live:watched:11").integerValue)
        #expect((1...300).contains(ttl))
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await audience.watchedJobs(among: [JobID(11), JobID(13)]).isEmpty)
    }

    @Test("maintenance switch remaining time")
    func maintenanceSwitchRemainingTime() async throws {
        let maintenance = RedisMaintenanceSwitch(pool: pool)
        #expect(try await maintenance.remainingTime() == nil)
        try await maintenance.enable(for: .seconds(300))
        #expect(try await pool.send("GET", "travis-logs:maintenance") == .string("on"))
        let remaining = try #require(try await maintenance.remainingTime())
        #expect(remaining > .seconds(298))
        #expect(remaining <= .seconds(300))
        let error = try await #require(throws: LogsError.self) { try await maintenance.checkAvailable() }
        #expect(error.code == .underMaintenance)
        #expect(error.retryAfter != nil)
        try await maintenance.disable()
        #expect(try await maintenance.isEnabled() == false)
    }

    @Test("maintenance set by Ruby's form")
    func maintenanceSetByRubysForm() async throws {
        let maintenance = RedisMaintenanceSwitch(pool: pool)
        _ = try await pool.send("SETEX", "travis-logs:maintenance", "20", "on")
        #expect(try await maintenance.remainingTime().map { $0 > .seconds(18) } == true)
        _ = try await pool.send("SET", "travis-logs:maintenance", "off")
        #expect(try await maintenance.remainingTime() == nil)
        _ = try await pool.send("SET", "travis-logs:maintenance", "on")
        #expect(try await maintenance.remainingTime() == .seconds(60))
        try await maintenance.disable()
    }

    @Test("maintenance read after connection closed")
    func maintenanceReadAfterConnectionClosed() async throws {
        // Redis closed the pooled connection while it was idle, as after a restart or CLIENT KILL.
        // A web request or job that checks the switch must not fail because of that.
        let switchPool = try RedisTestServer.makePool(database: Self.database, size: 1)
        let maintenance = RedisMaintenanceSwitch(pool: switchPool)
        #expect(try await maintenance.remainingTime() == nil)
        let id = try #require(try await switchPool.send("CLIENT", "ID").integerValue)
        #expect(try await pool.send("CLIENT", "KILL", "ID", String(id)) == .integer(1))

        #expect(try await maintenance.remainingTime() == nil)
        try await maintenance.enable(for: .seconds(30))
        #expect(try await maintenance.remainingTime() != nil)
        try await maintenance.disable()
        switchPool.close()
    }

    @Test("lock held until released by owner")
    func lockHeldUntilReleased() async throws {
        let lock = RedisLock(pool: pool)
        let lease = try #require(try await lock.acquire("logs.sweeper", ttl: .seconds(10)))
        #expect(try await lock.acquire("logs.sweeper", ttl: .seconds(10)) == nil)
        let stranger = LockLease(key: "logs.sweeper", token: "not-the-owner")
        #expect(try await lock.release(stranger) == false)
        #expect(try await lock.acquire("logs.sweeper", ttl: .seconds(10)) == nil)
        #expect(try await lock.release(lease))
        let next = try await lock.acquire("logs.sweeper", ttl: .seconds(10))
        #expect(next != nil)
        if let next { try await lock.release(next) }
    }

    @Test("expired lease releases nothing")
    func expiredLeaseReleasesNothing() async throws {
        let lock = RedisLock(pool: pool)
        let old = try #require(try await lock.acquire("logs.aggregate.1", ttl: .milliseconds(50)))
        try await Task.sleep(for: .milliseconds(120))
        let current = try #require(try await lock.acquire("logs.aggregate.1", ttl: .seconds(10)))
        #expect(try await lock.release(old) == false)
        #expect(try await lock.acquire("logs.aggregate.1", ttl: .seconds(10)) == nil)
        #expect(try await lock.release(current))
    }

    @Test("withLock runs body once")
    func withLockRunsBodyOnce() async throws {
        let lock = RedisLock(pool: pool)
        let result = try await lock.withLock("logs.with-lock", ttl: .seconds(5)) {
            try await lock.withLock("logs.with-lock", ttl: .seconds(5)) { "inner" }
        }
        #expect(result == .some(nil))
        #expect(try await pool.send("EXISTS", "logs.with-lock") == .integer(0))
    }

    @Test("ignored ids from original sets")
    func ignoredIDsFromOriginalSets() async throws {
        let ignored = RedisIgnoredIDs(pool: pool)
        _ = try await pool.send("SADD", "logs:ignored-job-ids", "17")
        _ = try await pool.send("SADD", "logs:ignored-log-ids", "23")
        #expect(try await ignored.isIgnored(jobID: JobID(17)))
        #expect(try await ignored.isIgnored(jobID: JobID(23)) == false)
        #expect(try await ignored.isIgnored(logID: LogID(23)))
        #expect(try await ignored.isIgnored(logID: LogID(17)) == false)
        _ = try await pool.send("FLUSHDB")
    }
}
