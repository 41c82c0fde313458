import Foundation

/// One log of a batch passed to `PartStore.aggregate(_:at:)`.
public struct AggregationRequest: Sendable, Hashable {
    public var logID: LogID
    /// The archived text to merge when the log was purged, as in `aggregate(logID:archivedContent:at:)`.
    public var archivedContent: String?

    public init(logID: LogID, archivedContent: String? = nil) {
        self.logID = logID
        self.archivedContent = archivedContent
    }
}

/// The result for one log of a batch aggregation: the outcome (nil when there is no such log) or
/// the error that left that log unchanged.
public typealias AggregationResult = Result<AggregationOutcome?, LogsError>

// NOTE: `Aggregator` and the aggregate jobs still aggregate one log per call, so in production
// only the single-log path runs. Only the PostgreSQL benchmark calls the batch path so far.
extension PartStore {
    public func aggregate(_ requests: [AggregationRequest], at date: Date) async throws -> [AggregationResult] {
        var results: [LogID: AggregationResult] = [:]
        for request in requests where results[request.logID] == nil {
            do {
                let outcome = try await aggregate(
                    logID: request.logID, archivedContent: request.archivedContent, at: date)
                results[request.logID] = .success(outcome)
            } catch let error as LogsError where error.code == .archivedContentRequired {
                results[request.logID] = .failure(error)
            }
        }
        return requests.map { results[$0.logID]! }
    }
}
