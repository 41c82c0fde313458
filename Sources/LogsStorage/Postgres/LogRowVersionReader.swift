import Foundation
import LogsCore

/// Reads the row versions of concurrent callers with one statement: a group commit for reads.
///
/// While one read is in flight, the lookups that arrive are collected, and the next read covers
/// them all. Every caller gets a result from a statement sent after its call began, so the result
/// includes every change committed before the call. With 64 concurrent `GET /logs/:id` requests,
/// one statement per batch instead of one per request saves round trips to the connection's thread
/// and the server.
///
/// The batches run back to back on one leased connection's thread, which calls each caller's
/// completion there. After the last batch the thread waits up to `linger` for more lookups before
/// it returns the connection to the pool. A busy server so pays one thread wake-up per batch
/// instead of a task, a lease and two hops between threads. A lease ends after `maximumLease`
/// even while lookups keep coming, and the next one queues behind other callers of the pool, so
/// that the reader never keeps a small pool to itself.
final class LogRowVersionReader: Sendable {
    enum Lookup: Hashable, Sendable {
        case id(Int64)
        case jobID(Int64)
    }

    typealias Completion = @Sendable (Result<LogRowVersion?, any Error>) -> Void

    private struct Waiter: Sendable {
        let lookup: Lookup
        let completion: Completion
    }

    private let waiters: LingeringWaitList<Waiter>

    /// - Parameters:
    ///   - maximumBatchSize: the maximum number of lookups in one statement; more wait for the
    ///     next one.
    ///   - linger: how long the connection is kept after the last batch, waiting for more lookups.
    ///   - maximumLease: how long one lease of a connection runs batches before it is returned.
    init(
        client: PostgresClient, maximumBatchSize: Int = 500, linger: Duration = .milliseconds(2),
        maximumLease: Duration = .milliseconds(100)
    ) {
        waiters = LingeringWaitList(
            client: client, maximumWeight: maximumBatchSize, weight: { _ in 1 }, linger: linger,
            maximumLease: maximumLease)
    }

    /// Returns the version of the looked-up row, or nil when there is no such row.
    ///
    /// - Throws: the error of the statement that carried the lookup, or of leasing a connection.
    func version(_ lookup: Lookup) async throws -> LogRowVersion? {
        try await withCheckedThrowingContinuation { continuation in
            version(lookup) { result in continuation.resume(with: result) }
        }
    }

    /// Reads the version of the looked-up row in the next statement and calls `completion` with
    /// it, or with the statement's error, on the connection's thread after this method returns.
    ///
    /// `completion` must not block, because the rest of the batch and the next batch wait for it.
    func version(_ lookup: Lookup, completion: @escaping Completion) {
        if waiters.append(Waiter(lookup: lookup, completion: completion)) {
            Task { await self.run() }
        }
    }

    /// Leases connections and runs batches on them until no lookup comes within `linger`.
    private func run() async {
        do {
            try await waiters.drain { batch, connection in try Self.run(batch, on: connection) }
        } catch {
            failWaiting(with: error)
        }
    }

    /// Reads the versions of one batch and hands each caller its result. Rethrows a lost
    /// connection, so that `withConnection` retries the waiters left on a fresh one.
    private static func run(_ batch: [Waiter], on connection: isolated PostgresConnection) throws {
        do {
            let versions = try read(Set(batch.map(\.lookup)), on: connection)
            for waiter in batch { waiter.completion(.success(versions[waiter.lookup])) }
        } catch {
            for waiter in batch { waiter.completion(.failure(error)) }
            if let error = error as? PostgresError, error.isConnectionLoss { throw error }
        }
    }

    /// Fails every waiting lookup after the connection could not be leased or was lost twice.
    private func failWaiting(with error: any Error) {
        for waiter in waiters.removeAll() { waiter.completion(.failure(error)) }
    }

    private static func read(_ lookups: Set<Lookup>, on connection: isolated PostgresConnection) throws
        -> [Lookup: LogRowVersion]
    {
        var ids: [Int64] = []
        var jobIDs: [Int64] = []
        for lookup in lookups {
            switch lookup {
            case .id(let id): ids.append(id)
            case .jobID(let jobID): jobIDs.append(jobID)
            }
        }
        let rows = try connection.query(PartStoreStatements.logVersions, [.integers(ids), .integers(jobIDs)])
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
