import Foundation

/// A job in Sidekiq's wire format, as it sits in a Redis list.
///
/// The JSON is `{"class", "args", "queue", "jid", "retry", "created_at", "enqueued_at"}` plus the
/// retry bookkeeping Sidekiq adds on failure. Keys this type does not know are kept, so a job
/// written by Ruby Sidekiq survives a round trip through this service.
public struct Job: Sendable, Hashable {
    public var className: String
    public var queue: String
    public var args: [JSONValue] {
        get { arguments.values }
        set { arguments = JobArguments(values: newValue) }
    }
    var arguments: JobArguments
    public var jid: String
    /// `true`, `false` or a maximum retry count, as in Sidekiq.
    public var retry: JSONValue
    /// Seconds since 1970, as Sidekiq writes them.
    public var createdAt: Double
    public var enqueuedAt: Double?
    public var retryCount: Int?
    public var failedAt: Double?
    public var retriedAt: Double?
    public var errorMessage: String?
    public var errorClass: String?
    public var otherFields: [String: JSONValue]

    public init(
        className: String, queue: String, args: [JSONValue], jid: String = Job.makeJID(), retry: JSONValue = true,
        createdAt: Date, enqueuedAt: Date? = nil
    ) {
        self.className = className
        self.queue = queue
        self.arguments = JobArguments(values: args)
        self.jid = jid
        self.retry = retry
        self.createdAt = createdAt.timeIntervalSince1970
        self.enqueuedAt = enqueuedAt?.timeIntervalSince1970
        self.otherFields = [:]
    }

    /// Returns a new job id: 12 random bytes in hex, as Sidekiq makes them.
    public static func makeJID() -> String {
        // Hex digits are written by hand and the random bytes come from two 64-bit draws,
        // because `String(format:)` and one draw per byte took about 40 µs per id in a release
        // build.
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for index in 0..<12 {
            let byte = UInt8(truncatingIfNeeded: words[index / 8] >> (8 * UInt64(index % 8)))
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The key under which at most one copy of this job may wait, for classes that are unique.
    ///
    /// `aggregate` and `timing_info` jobs are unique per argument while queued, as the original's
    /// `unique: :until_and_while_executing` makes them.
    public var uniqueKey: String? {
        guard isUnique else { return nil }
        return "\(queue):\(className):\(JSONValue.array(args).jsonString())"
    }

    /// Whether the job's class allows at most one queued copy per argument list, so that the job
    /// has a `uniqueKey`.
    public var isUnique: Bool {
        JobPayload.uniqueClassNames.contains(className)
    }

    /// The largest number of retries this job allows.
    public var maximumRetries: Int {
        switch retry {
        case .bool(true): return SidekiqRetryPolicy.defaultMaximumRetries
        case .integer(let count): return max(0, Int(count))
        default: return 0
        }
    }
}

extension Job {
    private static let knownKeys: Set<String> = [
        "class", "args", "queue", "jid", "retry", "created_at", "enqueued_at", "retry_count", "failed_at",
        "retried_at", "error_message", "error_class",
    ]

    /// Reads a job from the JSON Sidekiq stores.
    ///
    /// - Throws: `LogsError` with code `.invalidJob` naming the missing or mistyped field.
    public init(jsonData: Data) throws {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: jsonData)
        } catch {
            throw LogsError(.invalidJob, "queued job is not valid JSON")
        }
        try self.init(jsonValue: value)
    }

    /// Reads a job from Sidekiq's JSON object, already parsed by the caller.
    ///
    /// - Throws: `LogsError` with code `.invalidJob` naming the missing or mistyped field.
    public init(jsonValue value: JSONValue) throws {
        guard let members = value.objectValue else { throw LogsError(.invalidJob, "queued job is not a JSON object") }
        guard members["class"]?.stringValue != nil else { throw Self.missing("class") }
        guard let args = members["args"]?.arrayValue else { throw Self.missing("args") }
        try self.init(members: members, arguments: JobArguments(values: args))
    }

    /// Reads a job from the members of its JSON object, with `args` passed apart.
    init(members: [String: JSONValue], arguments: JobArguments) throws {
        guard let className = members["class"]?.stringValue else { throw Self.missing("class") }
        guard let queue = members["queue"]?.stringValue else { throw Self.missing("queue") }
        guard let jid = members["jid"]?.stringValue else { throw Self.missing("jid") }
        self.className = className
        self.arguments = arguments
        self.queue = queue
        self.jid = jid
        self.retry = members["retry"] ?? .bool(false)
        self.createdAt = members["created_at"]?.doubleValue ?? 0
        self.enqueuedAt = members["enqueued_at"]?.doubleValue
        self.retryCount = members["retry_count"]?.integerValue.map { Int($0) }
        self.failedAt = members["failed_at"]?.doubleValue
        self.retriedAt = members["retried_at"]?.doubleValue
        self.errorMessage = members["error_message"]?.stringValue
        self.errorClass = members["error_class"]?.stringValue
        self.otherFields = members.filter { !Self.knownKeys.contains($0.key) }
    }

    /// The job as Sidekiq's JSON object.
    public var jsonValue: JSONValue {
        var members = otherFields
        members["class"] = .string(className)
        members["args"] = .array(args)
        members["queue"] = .string(queue)
        members["jid"] = .string(jid)
        members["retry"] = retry
        members["created_at"] = .double(createdAt)
        if let enqueuedAt { members["enqueued_at"] = .double(enqueuedAt) }
        if let retryCount { members["retry_count"] = .integer(Int64(retryCount)) }
        if let failedAt { members["failed_at"] = .double(failedAt) }
        if let retriedAt { members["retried_at"] = .double(retriedAt) }
        if let errorMessage { members["error_message"] = .string(errorMessage) }
        if let errorClass { members["error_class"] = .string(errorClass) }
        return .object(members)
    }

    public func jsonData() -> Data {
        jsonValue.jsonData()
    }

    private static func missing(_ field: String) -> LogsError {
        LogsError(.invalidJob, "queued job has no valid \"\(field)\" field")
    }
}
