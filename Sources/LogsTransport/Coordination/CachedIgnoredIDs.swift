import LogsCore
import Synchronization

/// An `IgnoredIDs` that remembers each result of the set it wraps for `maximumAge`, so that
/// repeated requests for one job, such as a browser polling its log, do not each make a Redis
/// round trip.
///
/// An id added to or removed from the ignored set takes effect here up to `maximumAge` later. At
/// most `capacity` results are kept, and all are dropped when that is reached. Errors are not
/// cached.
public final class CachedIgnoredIDs: IgnoredIDs {
    private enum Key: Hashable {
        case job(Int64)
        case log(Int64)
    }

    private struct Answer {
        var isIgnored: Bool
        var readAt: ContinuousClock.Instant
    }

    private let wrapped: any IgnoredIDs
    private let maximumAge: Duration
    private let capacity: Int
    private let answers = Mutex<[Key: Answer]>([:])

    public init(_ wrapped: any IgnoredIDs, maximumAge: Duration = .seconds(1), capacity: Int = 10_000) {
        self.wrapped = wrapped
        self.maximumAge = maximumAge
        self.capacity = max(1, capacity)
    }

    public func isIgnored(jobID: JobID) async throws -> Bool {
        try await answer(for: .job(jobID.rawValue)) { try await wrapped.isIgnored(jobID: jobID) }
    }

    public func isIgnored(logID: LogID) async throws -> Bool {
        try await answer(for: .log(logID.rawValue)) { try await wrapped.isIgnored(logID: logID) }
    }

    private func answer(for key: Key, read: () async throws -> Bool) async throws -> Bool {
        let now = ContinuousClock.now
        if let cached = answers.withLock({ $0[key] }), now - cached.readAt < maximumAge {
            return cached.isIgnored
        }
        let isIgnored = try await read()
        answers.withLock { answers in
            if answers.count >= capacity { answers.removeAll(keepingCapacity: true) }
            answers[key] = Answer(isIgnored: isIgnored, readAt: now)
        }
        return isIgnored
    }
}
