import Foundation

/// A row of the `logs` table, with every column the original service and its log scanner use.
public struct Log: Sendable, Hashable {
    public var id: LogID
    public var jobID: JobID
    public var content: String?
    /// The id of the user who removed the log.
    public var removedBy: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var aggregatedAt: Date?
    public var archivedAt: Date?
    public var purgedAt: Date?
    public var removedAt: Date?
    public var isArchiving: Bool?
    public var isArchiveVerified: Bool?
    public var scanStatus: String?
    public var scanStatusUpdatedAt: Date?
    public var isCensored: Bool?
    public var scanQueuedAt: Date?
    public var scanStartedAt: Date?
    public var scanProcessingAt: Date?
    public var scanFinalizingAt: Date?
    public var scanEndedAt: Date?

    public init(
        id: LogID, jobID: JobID, content: String? = nil, removedBy: Int64? = nil, createdAt: Date? = nil,
        updatedAt: Date? = nil, aggregatedAt: Date? = nil, archivedAt: Date? = nil, purgedAt: Date? = nil,
        removedAt: Date? = nil, isArchiving: Bool? = nil, isArchiveVerified: Bool? = nil, scanStatus: String? = nil,
        scanStatusUpdatedAt: Date? = nil, isCensored: Bool? = nil, scanQueuedAt: Date? = nil,
        scanStartedAt: Date? = nil, scanProcessingAt: Date? = nil, scanFinalizingAt: Date? = nil,
        scanEndedAt: Date? = nil
    ) {
        self.id = id
        self.jobID = jobID
        self.content = content
        self.removedBy = removedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.aggregatedAt = aggregatedAt
        self.archivedAt = archivedAt
        self.purgedAt = purgedAt
        self.removedAt = removedAt
        self.isArchiving = isArchiving
        self.isArchiveVerified = isArchiveVerified
        self.scanStatus = scanStatus
        self.scanStatusUpdatedAt = scanStatusUpdatedAt
        self.isCensored = isCensored
        self.scanQueuedAt = scanQueuedAt
        self.scanStartedAt = scanStartedAt
        self.scanProcessingAt = scanProcessingAt
        self.scanFinalizingAt = scanFinalizingAt
        self.scanEndedAt = scanEndedAt
    }
}

/// A replacement of one log's content, as `PUT /logs/:job_id` and `POST /logs/multi` request it.
public struct LogContentUpdate: Sendable, Hashable {
    public var jobID: JobID
    /// The new content; nil or empty clears it.
    public var content: String?
    public var removedBy: Int64?

    public init(jobID: JobID, content: String?, removedBy: Int64? = nil) {
        self.jobID = jobID
        self.content = content
        self.removedBy = removedBy
    }
}

/// What a log fetch returns: a stored log with its content aggregated on demand, or a stand-in.
///
/// Stand-ins have no row behind them: an ignored id gets the "temporarily unavailable" text, and
/// an id below the archive-spoofing minimum gets an empty, archived-looking log. Only the id that
/// was asked for is set on a stand-in, as the original service answers.
public struct FetchedLog: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case stored
        case temporarilyUnavailable
        case spoofedArchive
    }

    public var kind: Kind
    public var id: LogID?
    public var jobID: JobID?
    public var content: String?
    public var removedByID: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?
    public var aggregatedAt: Date?
    public var archivedAt: Date?
    public var purgedAt: Date?
    public var removedAt: Date?
    public var isArchiving: Bool?
    public var isArchiveVerified: Bool?
    /// The whole stored row, for `.stored`.
    public var log: Log?

    /// The text shown in place of a log whose id is on an ignore list.
    public static let temporarilyUnavailableText = "Your log is temporarily unavailable"

    public init(kind: Kind, id: LogID?, jobID: JobID?) {
        self.kind = kind
        self.id = id
        self.jobID = jobID
    }

    public init(stored log: Log, content: String?) {
        self.init(kind: .stored, id: log.id, jobID: log.jobID)
        self.content = content
        self.removedByID = log.removedBy
        self.createdAt = log.createdAt
        self.updatedAt = log.updatedAt
        self.aggregatedAt = log.aggregatedAt
        self.archivedAt = log.archivedAt
        self.purgedAt = log.purgedAt
        self.removedAt = log.removedAt
        self.isArchiving = log.isArchiving
        self.isArchiveVerified = log.isArchiveVerified
        self.log = log
    }
}
