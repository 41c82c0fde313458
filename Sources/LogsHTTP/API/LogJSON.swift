import Foundation
import LogsCore

/// The JSON forms of logs and log parts, with the original service's keys and
/// `2026-12-04 10:06:07 UTC` timestamps.
enum LogJSON {
    /// A fetched log as `GET /logs/:id` returns it: every column of the row, `removed_by` renamed
    /// to `removed_by_id`, and `@type: log`. A stand-in has only the keys the original sends for
    /// one, `removed_by` among them.
    static func fetched(_ log: FetchedLog) -> JSONValue {
        guard log.kind == .stored, let stored = log.log else {
            return .object([
                "@type": "log", "id": id(log.id), "job_id": id(log.jobID), "content": text(log.content),
                "aggregated_at": time(log.aggregatedAt), "archived_at": time(log.archivedAt),
                "archive_verified": flag(log.isArchiveVerified), "removed_at": .null, "removed_by": .null,
                "updated_at": time(log.updatedAt),
            ])
        }
        var members = row(stored)
        members["content"] = text(log.content)
        members["removed_by_id"] = members.removeValue(forKey: "removed_by")
        return .object(members)
    }

    /// A log row as `PUT /logs/:job_id` returns it, with `removed_by` and `@type: log`.
    static func stored(_ log: Log) -> JSONValue {
        .object(row(log))
    }

    private static func row(_ log: Log) -> [String: JSONValue] {
        [
            "@type": "log", "id": .integer(log.id.rawValue), "job_id": .integer(log.jobID.rawValue),
            "content": text(log.content), "removed_by": log.removedBy.map(JSONValue.integer) ?? .null,
            "created_at": time(log.createdAt), "updated_at": time(log.updatedAt),
            "aggregated_at": time(log.aggregatedAt), "archived_at": time(log.archivedAt),
            "purged_at": time(log.purgedAt), "removed_at": time(log.removedAt), "archiving": flag(log.isArchiving),
            "archive_verified": flag(log.isArchiveVerified), "scan_status": text(log.scanStatus),
            "scan_status_updated_at": time(log.scanStatusUpdatedAt), "censored": flag(log.isCensored),
            "scan_queued_at": time(log.scanQueuedAt), "scan_started_at": time(log.scanStartedAt),
            "scan_processing_at": time(log.scanProcessingAt), "scan_finalizing_at": time(log.scanFinalizingAt),
            "scan_ended_at": time(log.scanEndedAt),
        ]
    }

    /// A stored part as `GET /log-parts/:job_id` lists it: `id`, `number`, `final`, and `content`
    /// unless content was not requested.
    static func part(_ part: StoredLogPart) -> JSONValue {
        var members: [String: JSONValue] = [
            "id": .integer(part.id), "number": .integer(Int64(part.number)), "final": .bool(part.isFinal),
        ]
        if let content = part.content { members["content"] = .string(content) }
        return .object(members)
    }

    /// The single stand-in part that the original lists for an ignored, aggregated or incomplete log.
    static func standInPart(logID: LogID?, content: String) -> JSONValue {
        ["number": 0, "log_id": id(logID), "content": .string(content)]
    }

    static func time(_ date: Date?) -> JSONValue {
        date.map { .string(TimestampFormat.apiString($0)) } ?? .null
    }

    private static func id<ID: RawRepresentable>(_ value: ID?) -> JSONValue where ID.RawValue == Int64 {
        value.map { .integer($0.rawValue) } ?? .null
    }

    private static func text(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    private static func flag(_ value: Bool?) -> JSONValue {
        value.map(JSONValue.bool) ?? .null
    }
}
