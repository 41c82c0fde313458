import LogsCore

/// An `IgnoredIDs` that remembers each result of the set it wraps for `maximumAge`, so that
/// repeated requests for one job, such as a browser polling its log, do not each make a Redis
/// round trip.
///
/// An id added to or removed from the ignored set takes effect here up to `maximumAge` later. At
/// most `capacity` results are kept, and all are dropped when that is reached. Errors are not
/// cached.
public final class CachedIgnoredIDs: IgnoredIDs {
    private enum Key: Hashable, Sendable {
        case job(Int64)
        case log(Int64)
    }

    private let wrapped: any IgnoredIDs
    private let results: ExpiringFlags<Key>

    public init(_ wrapped: any IgnoredIDs, maximumAge: Duration = .seconds(1), capacity: Int = 10_000) {
        self.wrapped = wrapped
        results = ExpiringFlags(maximumAge: maximumAge, capacity: capacity)
    }

    public func isIgnored(jobID: JobID) async throws -> Bool {
        try await results.value(for: .job(jobID.rawValue)) { try await wrapped.isIgnored(jobID: jobID) }
    }

    public func isIgnored(logID: LogID) async throws -> Bool {
        try await results.value(for: .log(logID.rawValue)) { try await wrapped.isIgnored(logID: logID) }
    }

    public func isIgnoredWithoutWaiting(jobID: JobID) -> Bool? {
        results.keptValue(for: .job(jobID.rawValue))
    }

    public func isIgnoredWithoutWaiting(logID: LogID) -> Bool? {
        results.keptValue(for: .log(logID.rawValue))
    }
}
