import Foundation

/// A log part after normalization: decoded, cleaned, and ready to store.
public struct LogPart: Sendable, Hashable {
    public var jobID: JobID
    /// The part number; `"last"` is `PartNumber.lastValue`.
    public var number: Int
    /// The content in its stored form (see `PartContent`).
    public var storedContent: String
    public var isFinal: Bool
    public var meta: JSONValue?

    public init(jobID: JobID, number: Int, storedContent: String, isFinal: Bool, meta: JSONValue? = nil) {
        self.jobID = jobID
        self.number = number
        self.storedContent = storedContent
        self.isFinal = isFinal
        self.meta = meta
    }

    /// The content as valid text on its own, for live events and API responses.
    public var displayContent: String {
        PartContent.displayText(ofStoredText: storedContent)
    }
}

/// A part to insert into `log_parts`.
public struct NewLogPart: Sendable, Hashable {
    public var logID: LogID
    public var number: Int
    public var content: String
    public var isFinal: Bool

    public init(logID: LogID, number: Int, content: String, isFinal: Bool) {
        self.logID = logID
        self.number = number
        self.content = content
        self.isFinal = isFinal
    }
}

/// A row of `log_parts`.
public struct StoredLogPart: Sendable, Hashable {
    public var id: Int64
    public var logID: LogID
    public var number: Int
    /// The stored content, or nil when the query asked for no content.
    public var content: String?
    public var isFinal: Bool
    public var createdAt: Date

    public init(id: Int64, logID: LogID, number: Int, content: String?, isFinal: Bool, createdAt: Date) {
        self.id = id
        self.logID = logID
        self.number = number
        self.content = content
        self.isFinal = isFinal
        self.createdAt = createdAt
    }
}

/// Filters for reading a log's parts, as `GET /log-parts/:job_id` takes them.
public struct LogPartsQuery: Sendable, Hashable {
    /// Only parts with a number greater than this.
    public var after: Int?
    /// Only these part numbers; empty means all.
    public var numbers: [Int]
    public var includesContent: Bool

    public init(after: Int? = nil, numbers: [Int] = [], includesContent: Bool = true) {
        self.after = after
        self.numbers = numbers
        self.includesContent = includesContent
    }
}
