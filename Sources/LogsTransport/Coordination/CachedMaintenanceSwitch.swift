import LogsCore
import Synchronization

/// A `MaintenanceSwitch` that reads the switch it wraps at most once per `maximumAge`, so that a
/// busy `web` process does not make one Redis round trip per request to check it.
///
/// A switch turned on or off by another process takes effect here up to `maximumAge` later. The
/// remaining time of a cached reading counts down with this process's monotonic clock.
/// `enable` and `disable` go to the wrapped switch and drop the cached reading.
public final class CachedMaintenanceSwitch: MaintenanceSwitch {
    private struct Reading {
        var remainingTime: Duration?
        var readAt: ContinuousClock.Instant
    }

    private let wrapped: any MaintenanceSwitch
    private let maximumAge: Duration
    private let reading = Mutex<Reading?>(nil)

    public init(_ wrapped: any MaintenanceSwitch, maximumAge: Duration = .seconds(1)) {
        self.wrapped = wrapped
        self.maximumAge = maximumAge
    }

    public func remainingTime() async throws -> Duration? {
        let now = ContinuousClock.now
        if let state = stateWithoutWaiting(now: now) {
            guard case .on(let remaining) = state else { return nil }
            return remaining
        }
        let remaining = try await wrapped.remainingTime()
        reading.withLock { $0 = Reading(remainingTime: remaining, readAt: now) }
        return remaining
    }

    /// Returns the state from a reading younger than `maximumAge`, or nil.
    public func stateWithoutWaiting() -> MaintenanceState? {
        stateWithoutWaiting(now: .now)
    }

    private func stateWithoutWaiting(now: ContinuousClock.Instant) -> MaintenanceState? {
        guard let cached = reading.withLock({ $0 }), now - cached.readAt < maximumAge else { return nil }
        guard let remaining = cached.remainingTime else { return .off }
        let left = remaining - (now - cached.readAt)
        return left > .zero ? .on(remaining: left) : .off
    }

    public func enable(for duration: Duration) async throws {
        reading.withLock { $0 = nil }
        try await wrapped.enable(for: duration)
    }

    public func disable() async throws {
        reading.withLock { $0 = nil }
        try await wrapped.disable()
    }
}
