import Foundation

/// A log part's number as workers send it: an integer, or `"last"` for the final part.
public enum PartNumber: Hashable, Sendable {
    case number(Int)
    case last

    /// The number stored for `"last"`, the largest PostgreSQL `integer`, so it sorts after every part.
    public static let lastValue = 2_147_483_647

    public var storedValue: Int {
        switch self {
        case .number(let value): return value
        case .last: return Self.lastValue
        }
    }

    var jsonValue: JSONValue {
        switch self {
        case .number(let value): return .integer(Int64(value))
        case .last: return "last"
        }
    }
}

/// A log part as a worker sent it, over AMQP or HTTP, before normalization.
///
/// The JSON shape is the one the original service passes between its queues:
/// `{"id": job_id, "log": text, "number": n, "final": bool, "encoding": "base64", "uuid": ..., "meta": {...}}`.
public struct RawLogPart: Sendable, Hashable {
    public var jobID: JobID
    /// The part's text, or its base64 form when `encoding` is `"base64"`.
    public var log: String
    public var number: PartNumber
    /// True only when the message carried JSON `true`.
    public var isFinal: Bool
    public var encoding: String?
    public var uuid: String?
    public var meta: JSONValue?
    /// The worker's queue time, as some older workers send it beside `meta`.
    public var queuedAt: String?

    public init(
        jobID: JobID, log: String, number: PartNumber, isFinal: Bool = false, encoding: String? = nil,
        uuid: String? = nil, meta: JSONValue? = nil, queuedAt: String? = nil
    ) {
        self.jobID = jobID
        self.log = log
        self.number = number
        self.isFinal = isFinal
        self.encoding = encoding
        self.uuid = uuid
        self.meta = meta
        self.queuedAt = queuedAt
    }

    /// Creates a part whose content is carried as base64, as the drain and web pass parts on.
    public static func base64(
        jobID: JobID, content: some Collection<UInt8>, number: PartNumber, isFinal: Bool = false
    ) -> RawLogPart {
        RawLogPart(
            jobID: jobID, log: Data(content).base64EncodedString(), number: number, isFinal: isFinal,
            encoding: "base64"
        )
    }

    /// Returns the part with its content as base64, as the original's drain writes it to the queues.
    public func base64Encoded() -> RawLogPart {
        guard encoding != "base64" else { return self }
        var copy = self
        copy.log = Data(log.utf8).base64EncodedString()
        copy.encoding = "base64"
        return copy
    }
}

extension RawLogPart {
    /// Reads a part from its JSON object.
    ///
    /// `id` and `number` may be integers or strings of digits, as the original accepts them;
    /// `number` may also be `"last"`. Unknown keys are ignored.
    ///
    /// - Throws: `LogsError` with code `.invalidLogPart` and a `reason` of `not_an_object`,
    ///   `missing_job_id`, `invalid_job_id`, `invalid_number`, `invalid_log` or `unknown_encoding`.
    public init(json: JSONValue) throws {
        guard let members = json.objectValue else {
            throw Self.invalid("log part is not a JSON object", reason: "not_an_object")
        }
        try self.init(fields: Fields(members))
    }

    /// Reads a part from the members of its JSON object that this type reads.
    init(fields: Fields) throws {
        guard let idValue = fields.id, idValue != .null else {
            throw Self.invalid("log part has no job id (\"id\")", reason: "missing_job_id")
        }
        guard let jobID = Self.positiveInteger(idValue) else {
            throw Self.invalid(
                "log part has an invalid job id \(Self.shortDescription(idValue)): expected an integer from 1 to "
                    + "2147483647",
                reason: "invalid_job_id")
        }
        let number = try Self.partNumber(fields.number, jobID: jobID)
        let log: String
        switch fields.log {
        case .string(let text): log = text
        case nil, .null: log = ""
        default:
            throw Self.invalid("log part of job \(jobID) has a \"log\" that is not a string", reason: "invalid_log")
        }
        let encoding: String?
        switch fields.encoding {
        case nil, .null:
            encoding = nil
        case .string("base64"):
            encoding = "base64"
        case .some(let other):
            throw Self.invalid(
                "log part of job \(jobID) has unknown encoding \(Self.shortDescription(other)): "
                    + "expected \"base64\" or none",
                reason: "unknown_encoding")
        }
        self.init(
            jobID: JobID(jobID), log: log, number: number, isFinal: fields.final == .bool(true),
            encoding: encoding, uuid: fields.uuid?.stringValue, meta: fields.meta,
            queuedAt: fields.queuedAt?.stringValue)
    }

    /// The members of a part object that this type reads, found in one pass over the object
    /// instead of one hash lookup per key.
    struct Fields {
        /// The keys this type reads.
        enum Key: String, CaseIterable {
            case id, number, log, encoding, final, uuid, meta
            case queuedAt = "queued_at"
        }

        var id: JSONValue?
        var number: JSONValue?
        var log: JSONValue?
        var encoding: JSONValue?
        var final: JSONValue?
        var uuid: JSONValue?
        var meta: JSONValue?
        var queuedAt: JSONValue?

        init() {}

        init(_ members: [String: JSONValue]) {
            for (key, value) in members {
                if let key = Key(rawValue: key) { self[key] = value }
            }
        }

        subscript(key: Key) -> JSONValue? {
            get {
                switch key {
                case .id: return id
                case .number: return number
                case .log: return log
                case .encoding: return encoding
                case .final: return final
                case .uuid: return uuid
                case .meta: return meta
                case .queuedAt: return queuedAt
                }
            }
            set {
                switch key {
                case .id: id = newValue
                case .number: number = newValue
                case .log: log = newValue
                case .encoding: encoding = newValue
                case .final: final = newValue
                case .uuid: uuid = newValue
                case .meta: meta = newValue
                case .queuedAt: queuedAt = newValue
                }
            }
        }
    }

    /// The part as a JSON object in the original's shape.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            "id": .integer(jobID.rawValue), "log": .string(log), "number": number.jsonValue, "final": .bool(isFinal),
        ]
        if let encoding { members["encoding"] = .string(encoding) }
        if let uuid { members["uuid"] = .string(uuid) }
        if let meta { members["meta"] = meta }
        if let queuedAt { members["queued_at"] = .string(queuedAt) }
        return .object(members)
    }

    /// Reads the parts of a `log_parts` or `logs.pusher_forwarding` job argument, which is one part
    /// object or an array of them.
    ///
    /// A part that fails to parse is returned as a failure in its place, so one bad part loses
    /// nothing else in the batch.
    public static func parts(fromArgument argument: JSONValue) -> [Result<RawLogPart, LogsError>] {
        let elements = argument.arrayValue ?? [argument]
        return elements.map { element in
            Result { try RawLogPart(json: element) }.mapError { $0 as! LogsError }
        }
    }

    /// Reads the parts of a `log_parts` or `logs.pusher_forwarding` job's first argument, as
    /// `parts(fromArgument:)` does, or returns nil when the job has no argument.
    ///
    /// A job read from its payload has its parts read straight from the JSON text, without a
    /// `JSONValue` per part object.
    public static func parts(of job: Job) -> [Result<RawLogPart, LogsError>]? {
        if let encoded = job.arguments.encoded {
            let read = encoded.withReader { reader throws(JSONValueReader.Undecided) in
                try reader.readLogPartsArguments(depth: encoded.depth)
            }
            // The text was checked when the job was read, so the reader decides it again.
            if let read { return read }
        }
        guard let argument = job.args.first else { return nil }
        return parts(fromArgument: argument)
    }

    private static func partNumber(_ value: JSONValue?, jobID: Int64) throws -> PartNumber {
        if case .string("last") = value { return .last }
        guard let value, let number = nonNegativeInteger(value), number <= Int64(PartNumber.lastValue) else {
            let shown = value.map(shortDescription) ?? "none"
            throw invalid(
                "log part of job \(jobID) has an invalid number \(shown): expected an integer from 0 to "
                    + "\(PartNumber.lastValue) or \"last\"",
                reason: "invalid_number")
        }
        return number == Int64(PartNumber.lastValue) ? .last : .number(Int(number))
    }

    /// Returns a job id from 1 to 2147483647, the range of the `logs.job_id` integer column.
    package static func positiveInteger(_ value: JSONValue) -> Int64? {
        guard let number = nonNegativeInteger(value), number > 0, number <= Int64(Int32.max) else { return nil }
        return number
    }

    /// Returns the value of an integer, or of a string of ASCII digits, that is not negative.
    package static func nonNegativeInteger(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let number):
            return number >= 0 ? number : nil
        case .string(let text):
            guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int64(text)
        default:
            return nil
        }
    }

    /// Describes a rejected value without echoing more than a few characters of it.
    private static func shortDescription(_ value: JSONValue) -> String {
        let text = value.jsonString()
        return text.count > 24 ? String(text.prefix(24)) + "…" : text
    }

    private static func invalid(_ message: String, reason: String) -> LogsError {
        LogsError(.invalidLogPart, message, reason: reason)
    }
}
