import Foundation
import Synchronization

/// `ChannelPresence` in memory, with the same expiry as the Redis keys.
public actor InMemoryChannelPresence: ChannelPresence {
    private let clock: any LogsClock
    private let expiry: Duration
    private var occupiedUntil: [String: Date] = [:]

    public init(clock: any LogsClock = SystemClock(), expiry: Duration = ChannelPresenceDefaults.expiry) {
        self.clock = clock
        self.expiry = expiry
    }

    public func markOccupied(_ channel: String) {
        occupiedUntil[channel] = clock.now().addingTimeInterval(expiry.timeInterval)
    }

    public func markVacant(_ channel: String) {
        occupiedUntil[channel] = nil
    }

    public func isOccupied(_ channel: String) -> Bool {
        guard let until = occupiedUntil[channel] else { return false }
        return clock.now() < until
    }

    public func occupiedChannels(among channels: [String]) -> Set<String> {
        Set(channels.filter(isOccupied))
    }
}

/// `LiveStreamAudience` in memory, each mark lasting its lifetime as the Redis keys do.
public actor InMemoryLiveStreamAudience: LiveStreamAudience {
    private let clock: any LogsClock
    private let lifetime: Duration
    private var watchedUntil: [JobID: Date] = [:]

    public init(clock: any LogsClock = SystemClock(), lifetime: Duration = LiveStreamAudienceDefaults.markLifetime) {
        self.clock = clock
        self.lifetime = lifetime
    }

    public func markWatched(_ jobIDs: [JobID]) {
        let until = clock.now().addingTimeInterval(lifetime.timeInterval)
        for jobID in jobIDs { watchedUntil[jobID] = until }
    }

    public func watchedJobs(among jobIDs: [JobID]) -> Set<JobID> {
        let now = clock.now()
        return Set(jobIDs.filter { watchedUntil[$0].map { now < $0 } ?? false })
    }
}

/// `MaintenanceSwitch` in memory, turning itself off when its time runs out.
public actor InMemoryMaintenanceSwitch: MaintenanceSwitch {
    private let clock: any LogsClock
    /// In a mutex rather than actor state, so that `stateWithoutWaiting()` can read it from any
    /// thread.
    private let enabledUntil = Mutex<Date?>(nil)

    public init(clock: any LogsClock = SystemClock()) {
        self.clock = clock
    }

    public func remainingTime() -> Duration? {
        guard case .on(let remaining) = stateWithoutWaiting() else { return nil }
        return remaining
    }

    public func enable(for duration: Duration) {
        let until = clock.now().addingTimeInterval(duration.timeInterval)
        enabledUntil.withLock { $0 = until }
    }

    public func disable() {
        enabledUntil.withLock { $0 = nil }
    }

    public nonisolated func stateWithoutWaiting() -> MaintenanceState? {
        guard let until = enabledUntil.withLock({ $0 }) else { return .off }
        let remaining = until.timeIntervalSince(clock.now())
        return remaining > 0 ? .on(remaining: .milliseconds(Int64((remaining * 1000).rounded(.up)))) : .off
    }
}

/// `DistributedLock` in memory: one holder per key, with expiry and owner tokens.
public actor InMemoryLock: DistributedLock {
    private let clock: any LogsClock
    private var holders: [String: (token: String, until: Date)] = [:]

    public init(clock: any LogsClock = SystemClock()) {
        self.clock = clock
    }

    public func acquire(_ key: String, ttl: Duration) -> LockLease? {
        let now = clock.now()
        if let holder = holders[key], holder.until > now { return nil }
        let token = UUID().uuidString
        holders[key] = (token, now.addingTimeInterval(ttl.timeInterval))
        return LockLease(key: key, token: token)
    }

    @discardableResult
    public func release(_ lease: LockLease) -> Bool {
        guard let holder = holders[lease.key], holder.token == lease.token, holder.until > clock.now() else {
            return false
        }
        holders[lease.key] = nil
        return true
    }
}

/// `LogIDCache` in memory, dropping the least recently used entries beyond `capacity`.
public actor InMemoryLogIDCache: LogIDCache {
    private let capacity: Int
    private var entries: [JobID: (logID: LogID, lastUse: UInt64)] = [:]
    private var useCounter: UInt64 = 0

    /// - Parameter capacity: the maximum number of entries, at least 1.
    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { entries.count }

    public func logID(forJobID jobID: JobID) -> LogID? {
        guard let entry = entries[jobID] else { return nil }
        useCounter += 1
        entries[jobID] = (entry.logID, useCounter)
        return entry.logID
    }

    public func store(_ logID: LogID, forJobID jobID: JobID) {
        useCounter += 1
        entries[jobID] = (logID, useCounter)
        if entries.count > capacity {
            evictOldest(entries.count - capacity + capacity / 10)
        }
    }

    public func logIDs(forJobIDs jobIDs: [JobID]) -> [JobID: LogID] {
        var found: [JobID: LogID] = [:]
        found.reserveCapacity(jobIDs.count)
        for jobID in jobIDs {
            if let logID = logID(forJobID: jobID) { found[jobID] = logID }
        }
        return found
    }

    public func store(_ logIDs: [JobID: LogID]) {
        for (jobID, logID) in logIDs {
            store(logID, forJobID: jobID)
        }
    }

    /// Evicts a tenth of the cache at once, so the scan is paid rarely.
    private func evictOldest(_ count: Int) {
        let oldest = entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(count)
        for (jobID, _) in oldest { entries[jobID] = nil }
    }
}

/// `IgnoredIDs` in memory.
public actor InMemoryIgnoredIDs: IgnoredIDs {
    private struct IDs {
        var jobIDs: Set<JobID>
        var logIDs: Set<LogID>
    }

    /// In a mutex rather than actor state, so that the `WithoutWaiting` methods can read it from
    /// any thread.
    private let ids: Mutex<IDs>

    public init(jobIDs: Set<JobID> = [], logIDs: Set<LogID> = []) {
        ids = Mutex(IDs(jobIDs: jobIDs, logIDs: logIDs))
    }

    public func ignore(jobID: JobID) { _ = ids.withLock { $0.jobIDs.insert(jobID) } }

    public func ignore(logID: LogID) { _ = ids.withLock { $0.logIDs.insert(logID) } }

    public func isIgnored(jobID: JobID) -> Bool { ids.withLock { $0.jobIDs.contains(jobID) } }

    public func isIgnored(logID: LogID) -> Bool { ids.withLock { $0.logIDs.contains(logID) } }

    public nonisolated func isIgnoredWithoutWaiting(jobID: JobID) -> Bool? {
        ids.withLock { $0.jobIDs.contains(jobID) }
    }

    public nonisolated func isIgnoredWithoutWaiting(logID: LogID) -> Bool? {
        ids.withLock { $0.logIDs.contains(logID) }
    }
}
