import LogsCore

/// Log parts written once as JSON objects, comma-separated, to be placed as they are into the
/// argument of a `log_parts` or `logs.pusher_forwarding` job.
///
/// The drain writes each part here once and copies the same bytes into the other job, instead of
/// writing the part twice.
struct PartListJSON {
    private var writer: JSONValueWriter
    private(set) var count = 0

    /// Creates an empty list with room for `capacity` bytes, so that it grows less often.
    init(reservingCapacity capacity: Int = 0) {
        writer = JSONValueWriter(reservingCapacity: capacity)
    }

    var isEmpty: Bool { count == 0 }
    /// The parts' JSON objects, separated by commas, without the enclosing brackets.
    var bytes: [UInt8] { writer.bytes }

    /// Writes the part with its text as base64, as `JSONValueWriter.writeBase64LogPart` does, and
    /// returns the range of its JSON in `bytes`.
    mutating func append(_ part: RawLogPart) -> Range<Int> {
        if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        let start = writer.bytes.count
        writer.writeBase64LogPart(part)
        count += 1
        return start..<writer.bytes.count
    }

    /// Appends the JSON of one part that `other` wrote, at `range`.
    mutating func append(from other: PartListJSON, at range: Range<Int>) {
        if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        writer.bytes.append(contentsOf: other.writer.bytes[range])
        count += 1
    }

    mutating func removeAll() {
        writer.bytes.removeAll(keepingCapacity: true)
        count = 0
    }
}

extension SidekiqJobJSON {
    /// Returns the JSON of `job` with `parts` as its one argument, an array of part objects: the
    /// same bytes as `payload(of:)` of that job with the parts in `args`.
    ///
    /// `job.args` is ignored and its other fields are written as `payload(of:)` writes them.
    static func payload(of job: Job, parts: PartListJSON) -> String {
        var writer = JSONValueWriter(reservingCapacity: parts.bytes.count + 200)
        writer.writeKnownFields(of: job) { writer in
            writer.bytes.append(UInt8(ascii: "["))
            writer.bytes.append(UInt8(ascii: "["))
            writer.bytes.append(contentsOf: parts.bytes)
            writer.bytes.append(UInt8(ascii: "]"))
            writer.bytes.append(UInt8(ascii: "]"))
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
