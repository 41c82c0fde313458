import Foundation
import LogsCore
import Testing

extension EndToEndSystem {
    /// A job's `logs` row as the checks read it.
    struct LogRow: Sendable {
        var id: Int64
        var archiveVerified: Bool
        var isPurged: Bool
        var hasContent: Bool
        var rowCount: Int
    }

    /// Returns the job's `logs` rows folded into one value, or nil when it has none.
    func logRow(jobID: Int64) async throws -> LogRow? {
        let rows = try await sql(
            """
            SELECT id, coalesce(archive_verified, false), purged_at IS NOT NULL, coalesce(content, '') <> ''
            FROM logs WHERE job_id = \(jobID) ORDER BY id
            """)
        guard let first = rows.values.first, let id = first[0].flatMap({ Int64($0) }) else { return nil }
        return LogRow(
            id: id, archiveVerified: first[1] == "t", isPurged: first[2] == "t", hasContent: first[3] == "t",
            rowCount: rows.count)
    }

    /// Returns the number of `log_parts` rows of a job's logs.
    func partCount(jobID: Int64) async throws -> Int {
        let rows = try await sql(
            "SELECT count(*) FROM log_parts WHERE log_id IN (SELECT id FROM logs WHERE job_id = \(jobID))")
        return rows.values.first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
    }

    /// Waits until every log is archived, verified and purged with its S3 object equal to the
    /// expected bytes, then checks each one: the object, one row without content and no parts, and
    /// `GET /logs/:job_id?by=job_id` with the archived state.
    ///
    /// A part whose write failed is retried with Sidekiq's backoff (15 s or more), and reaches the
    /// archive in a second aggregation, so the wait lasts until the bytes match, not just the flags.
    func expectArchivedAndPurged(
        _ logs: [(jobID: Int64, expected: [UInt8], name: String)], timeout: Duration = .seconds(240)
    ) async throws {
        var pending = Dictionary(uniqueKeysWithValues: logs.map { ($0.jobID, $0.expected) })
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty && ContinuousClock.now < deadline {
            for (jobID, expected) in pending {
                guard let row = try await logRow(jobID: jobID), row.archiveVerified, row.isPurged else { continue }
                if try await archivedObject(jobID: jobID).map(Array.init) == expected { pending[jobID] = nil }
            }
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(300)) }
        }
        var differing: [String] = []
        for log in logs {
            let object = try await archivedObject(jobID: log.jobID)
            let archived = object.map { Array($0) } ?? []
            let offset =
                zip(archived, log.expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? (archived.count == log.expected.count ? nil : min(archived.count, log.expected.count))
            if offset != nil { differing.append(log.name) }
            #expect(
                offset == nil,
                "\(log.name): archived \(archived.count) bytes, expected \(log.expected.count); first difference at \(offset ?? -1)"
            )
            let row = try #require(try await logRow(jobID: log.jobID))
            #expect(row.rowCount == 1, "\(log.name): \(row.rowCount) logs rows for one job")
            #expect(!row.hasContent, "\(log.name): content left in the database after the purge")
            #expect(try await partCount(jobID: log.jobID) == 0, "\(log.name): parts left after aggregation")

            let response = try await request("GET", "/logs/\(log.jobID)?by=job_id")
            #expect(response.status == 200, "\(log.name): GET /logs answered \(response.status)")
            let json = try JSONValue(parsing: response.body)
            #expect(json["job_id"]?.integerValue == log.jobID)
            #expect(json["purged_at"]?.stringValue != nil, "\(log.name): purged_at missing from GET /logs")
            #expect(json["archived_at"]?.stringValue != nil, "\(log.name): archived_at missing from GET /logs")
            #expect(json["archive_verified"] == .bool(true), "\(log.name): archive_verified in GET /logs")
        }
        // Thrown so that the processes' logs are kept for reading.
        if !differing.isEmpty {
            throw EndToEndError("archives differ from the logs sent: \(differing.joined(separator: ", "))")
        }
    }
}
