import LogsCore
import Synchronization

/// Reads the row versions of concurrent callers with one statement: a group commit for reads.
///
/// While one read is in flight, the lookups that arrive are collected, and the next read covers
/// them all. Every caller gets a result from a statement sent after its call began, so the result
/// includes every change committed before the call. With 64 concurrent `GET /logs/:id` requests, one statement
/// per batch instead of one per request saves round trips to the connection's thread and the
/// server.
final class LogRowVersionReader: Sendable {
    enum Lookup: Hashable, Sendable {
        case id(Int64)
        case jobID(Int64)
    }

    private struct Waiter {
        var lookup: Lookup
        var continuation: CheckedContinuation<LogRowVersion?, any Error>
    }

    private struct State {
        var waiting: [Waiter] = []
        var isReading = false
    }

    private let client: PostgresClient
    private let maximumBatchSize: Int
    private let state = Mutex(State())

    /// - Parameter maximumBatchSize: the maximum number of lookups in one statement; more wait for
    ///   the next one.
    init(client: PostgresClient, maximumBatchSize: Int = 500) {
        self.client = client
        self.maximumBatchSize = max(1, maximumBatchSize)
    }

    /// Returns the version of the looked-up row, or nil when there is no such row.
    ///
    /// - Throws: the error of the statement that carried the lookup.
    func version(_ lookup: Lookup) async throws -> LogRowVersion? {
        try await withCheckedThrowingContinuation { continuation in
            let startsReading = state.withLock { state -> Bool in
                state.waiting.append(Waiter(lookup: lookup, continuation: continuation))
                guard !state.isReading else { return false }
                state.isReading = true
                return true
            }
            if startsReading {
                Task { await self.readUntilNoneWait() }
            }
        }
    }

    private func readUntilNoneWait() async {
        while let batch = nextBatch() {
            do {
                let versions = try await read(Set(batch.map(\.lookup)))
                for waiter in batch { waiter.continuation.resume(returning: versions[waiter.lookup]) }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    private func nextBatch() -> [Waiter]? {
        state.withLock { state -> [Waiter]? in
            guard !state.waiting.isEmpty else {
                state.isReading = false
                return nil
            }
            let batch = Array(state.waiting.prefix(maximumBatchSize))
            state.waiting.removeFirst(batch.count)
            return batch
        }
    }

    private func read(_ lookups: Set<Lookup>) async throws -> [Lookup: LogRowVersion] {
        var ids: [Int64] = []
        var jobIDs: [Int64] = []
        for lookup in lookups {
            switch lookup {
            case .id(let id): ids.append(id)
            case .jobID(let jobID): jobIDs.append(jobID)
            }
        }
        let rows = try await client.query(PartStoreStatements.logVersions, [.integers(ids), .integers(jobIDs)])
        var versions: [Lookup: LogRowVersion] = [:]
        for row in rows.rows {
            let version = LogRowVersion(
                logID: LogID(try row.requiredInteger("id")), revision: try row.requiredInteger("version"))
            let isByJobID = try row.boolean("by_job_id") ?? false
            let key: Lookup = isByJobID ? .jobID(try row.requiredInteger("job_id")) : .id(version.logID.rawValue)
            versions[key] = version
        }
        return versions
    }
}
