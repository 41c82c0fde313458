import Foundation
import LogsCore

/// Inserts the parts of concurrent `insertParts` callers with one `COPY`: a group commit.
///
/// While one `COPY` is in flight, the batches that arrive are collected, and the next `COPY`
/// carries them all, up to `maximumBatchSize` parts. Each `COPY` is a statement and a transaction
/// of its own on the server, so a worker running several `log_parts` jobs at once spends less of
/// the server's time per part. An idle store sends a batch at once.
///
/// One drain task runs while batches wait. It leases a connection and stays on that connection's
/// thread, where it sends one `COPY` after another, hands each caller its result from there, and
/// waits up to `linger` for more batches before it gives the connection back. So while batches keep
/// coming, a batch costs a signal to that thread and the caller's wake-up, and no hop back to the
/// cooperative pool between `COPY`s. A lease ends after `maximumLease` even while batches keep
/// coming, and the next one queues behind other callers of the pool.
///
/// When a `COPY` that carried several callers' batches fails, each batch is inserted again in a
/// `COPY` of its own, so each caller gets the result of its own parts. A rejected row then fails
/// only the batch that contains it, and nothing of a failed batch is stored. A batch whose `COPY`
/// lost the connection is tried once more on a fresh connection, as `PostgresClient` does for
/// its closures.
final class PartInserts: Sendable {
    private struct Batch: Sendable {
        var parts: [NewLogPart]
        var date: Date
    }

    private struct Waiter: Sendable {
        var batch: Batch
        var continuation: CheckedContinuation<Void, any Error>
        /// Whether a `COPY` of this batch already lost its connection.
        var lostConnection = false
    }

    private let waiters: LingeringWaitList<Waiter>

    /// - Parameters:
    ///   - maximumBatchSize: the maximum number of parts in one `COPY` of several callers'
    ///     batches. A single batch larger than this is sent alone.
    ///   - linger: how long the drain task waits on the connection's thread for the next batch
    ///     before it gives the connection back.
    ///   - maximumLease: how long one lease of a connection runs `COPY`s before it is returned.
    init(
        client: PostgresClient, maximumBatchSize: Int = 1_000, linger: Duration = .milliseconds(2),
        maximumLease: Duration = .milliseconds(100)
    ) {
        waiters = LingeringWaitList(
            client: client, maximumWeight: maximumBatchSize, weight: \.batch.parts.count, linger: linger,
            maximumLease: maximumLease)
    }

    /// Inserts the parts and returns once the `COPY` that carried them has ended.
    ///
    /// - Throws: the error of that `COPY`, as `PostgresPartStore.insertParts` describes it.
    func insert(_ parts: [NewLogPart], at date: Date) async throws {
        try await withCheckedThrowingContinuation { continuation in
            if waiters.append(Waiter(batch: Batch(parts: parts, date: date), continuation: continuation)) {
                // A task of its own, so that no caller's task is held up inserting others' parts,
                // and a caller's cancellation cannot fail the others.
                Task.detached { await self.drain() }
            }
        }
    }

    /// Inserts batches on leased connections until none waits.
    ///
    /// `PostgresClient.withConnection` runs the body once more on a fresh connection when the
    /// connection drops, and the batches that lost it wait, marked, for that second run. An error
    /// that ends the drain fails every waiting caller: no connection could be leased, or the fresh
    /// connection dropped as well.
    private func drain() async {
        do {
            try await waiters.drain { batch, connection in
                try self.insert(batch, on: connection)
            }
        } catch {
            for waiter in waiters.removeAll() { waiter.continuation.resume(throwing: error) }
        }
    }

    /// Inserts one batch and hands each caller its result.
    ///
    /// - Throws: the connection loss of a `COPY`, after putting back, marked, the batches it
    ///   carried that had not lost a connection before. Those that had get the error.
    private func insert(_ batch: [Waiter], on connection: isolated PostgresConnection) throws {
        let results = Self.insert(batch.map(\.batch), on: connection)
        var lost: [Waiter] = []
        var lossError: (any Error)?
        for (waiter, result) in zip(batch, results) {
            if case .failure(let error as PostgresError) = result, error.isConnectionLoss, !waiter.lostConnection {
                lost.append(Waiter(batch: waiter.batch, continuation: waiter.continuation, lostConnection: true))
                lossError = error
                continue
            }
            waiter.continuation.resume(with: result)
        }
        if let lossError {
            waiters.putBack(lost)
            throw lossError
        }
    }

    private static func insert(
        _ batches: [Batch], on connection: isolated PostgresConnection
    ) -> [Result<Void, any Error>] {
        do {
            try copy(batches, on: connection)
            return batches.map { _ in .success(()) }
        } catch let error as PostgresError where error.isConnectionLoss {
            return batches.map { _ in .failure(error) }
        } catch {
            guard batches.count > 1 else { return [.failure(error)] }
        }
        var results: [Result<Void, any Error>] = []
        for batch in batches {
            do {
                try copy([batch], on: connection)
                results.append(.success(()))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    private static func copy(_ batches: [Batch], on connection: isolated PostgresConnection) throws {
        let data = try copyData(for: batches)
        do throws(PostgresConnection.CopyFailure) {
            _ = try connection.copy(PartStoreStatements.copyParts, name: "travis_logs_copy_parts", data: data)
        } catch {
            throw rowError(error, parts: batches.flatMap(\.parts))
        }
    }

    private static func copyData(for batches: [Batch]) throws -> [UInt8] {
        let capacity = batches.reduce(0) { total, batch in
            batch.parts.reduce(total) { $0 + $1.content.utf8.count + 48 }
        }
        var encoder = PostgresCopyEncoder(reservingCapacity: capacity)
        for batch in batches {
            let createdAt = PostgresTimestamp.text(of: batch.date)
            for part in batch.parts {
                encoder.appendInteger(part.logID.rawValue)
                encoder.appendSeparator()
                encoder.appendInteger(Int64(part.number))
                encoder.appendSeparator()
                guard encoder.appendEscapedRejectingNUL(part.content) else {
                    throw PostgresError(
                        .rowRejected, "log part content contains a NUL byte, which PostgreSQL text cannot hold",
                        queryName: "travis_logs_copy_parts", logID: part.logID, partNumber: part.number)
                }
                encoder.appendSeparator()
                encoder.appendEscaped(part.isFinal ? "t" : "f")
                encoder.appendSeparator()
                encoder.appendEscaped(createdAt)
                encoder.endRow()
            }
        }
        return encoder.bytes
    }

    /// Names the rejected part when the server rejected the data of one line of the COPY.
    ///
    /// Only data exceptions (SQLSTATE class 22) and integrity violations (class 23) concern a row.
    /// A cancelled or interrupted COPY also reports the line it was on, but no row is at fault.
    private static func rowError(_ failure: PostgresConnection.CopyFailure, parts: [NewLogPart]) -> PostgresError {
        let sqlState = failure.error.sqlState ?? ""
        guard let line = failure.line, parts.indices.contains(line - 1),
            sqlState.hasPrefix("22") || sqlState.hasPrefix("23")
        else {
            return failure.error
        }
        var error = failure.error
        error.code = .rowRejected
        error.logID = parts[line - 1].logID
        error.partNumber = parts[line - 1].number
        return error
    }
}
