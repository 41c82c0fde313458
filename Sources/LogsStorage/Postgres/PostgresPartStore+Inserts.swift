import Foundation
import LogsCore

/// Inserts the parts of concurrent `insertParts` callers with one `COPY`: a group commit.
///
/// While one `COPY` is in flight, the batches that arrive are collected, and the next `COPY`
/// carries them all, up to `maximumBatchSize` parts. Each `COPY` is a statement and a transaction
/// of its own on the server, so a worker running several `log_parts` jobs at once spends less of
/// the server's time per part. An idle store sends a batch at once.
///
/// When a `COPY` that carried several callers' batches fails, each batch is inserted again in a
/// `COPY` of its own, so each caller gets the result of its own parts. A rejected row then fails
/// only the batch that contains it, and nothing of a failed batch is stored.
final class PartInserts: Sendable {
    private struct Batch: Sendable {
        var parts: [NewLogPart]
        var date: Date
    }

    private let queue: GroupCommitQueue<Batch, Result<Void, any Error>>

    /// - Parameter maximumBatchSize: the maximum number of parts in one `COPY` of several callers'
    ///   batches. A single batch larger than this is sent alone.
    init(client: PostgresClient, maximumBatchSize: Int = 1_000) {
        queue = GroupCommitQueue(maximumBatchWeight: maximumBatchSize) { batches in
            await Self.insert(batches, client: client)
        }
    }

    /// Inserts the parts and returns once the `COPY` that carried them has ended.
    ///
    /// - Throws: the error of that `COPY`, as `PostgresPartStore.insertParts` describes it.
    func insert(_ parts: [NewLogPart], at date: Date) async throws {
        try await queue.submit(Batch(parts: parts, date: date), weight: parts.count).get()
    }

    private static func insert(_ batches: [Batch], client: PostgresClient) async -> [Result<Void, any Error>] {
        do {
            try await copy(batches, client: client)
            return batches.map { _ in .success(()) }
        } catch {
            guard batches.count > 1 else { return [.failure(error)] }
        }
        var results: [Result<Void, any Error>] = []
        for batch in batches {
            do {
                try await copy([batch], client: client)
                results.append(.success(()))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    private static func copy(_ batches: [Batch], client: PostgresClient) async throws {
        let data = try copyData(for: batches)
        try await client.withConnection { connection in
            do {
                _ = try connection.copy(PartStoreStatements.copyParts, name: "travis_logs_copy_parts", data: data)
            } catch let failure as PostgresConnection.CopyFailure {
                throw rowError(failure, parts: batches.flatMap(\.parts))
            }
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
