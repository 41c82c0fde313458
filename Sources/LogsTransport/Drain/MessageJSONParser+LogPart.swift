import Foundation
import LogsCore

extension MessageJSONParser {
    /// Reads a log part message straight into a `RawLogPart`, without a dictionary of its members.
    ///
    /// Returns nil for every message that `parse(_:)` followed by `RawLogPart(json:)` would not
    /// turn into a part, and also for some it would, such as duplicate keys. When it returns a
    /// part, that part equals theirs. The caller then decodes a nil result in full, which also
    /// finds the rejection reason.
    static func logPart(_ data: Data) -> RawLogPart? {
        data.withUnsafeBytes { logPart($0) }
    }

    static func logPart(_ buffer: UnsafeRawBufferPointer) -> RawLogPart? {
        var parser = MessageJSONParser(bytes: buffer)
        guard let fields = parser.partFields() else { return nil }
        parser.skipWhitespace()
        guard parser.index == buffer.count else { return nil }
        return fields.part()
    }

    /// Reads the top-level object, keeping the members a part has and checking the others.
    private mutating func partFields() -> PartFields? {
        skipWhitespace()
        guard current == UInt8(ascii: "{") else { return nil }
        index += 1
        var fields = PartFields()
        var otherKeys: [String] = []
        skipWhitespace()
        // An empty object has no job id.
        guard current != UInt8(ascii: "}") else { return nil }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = partKey() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let member = value(depth: 1) else { return nil }
            if let other = key.other {
                // A duplicate key makes `parse(_:)` fail, so the message goes to the full decoder.
                guard !otherKeys.contains(other) else { return nil }
                otherKeys.append(other)
            } else {
                fields.set(key.member, to: member)
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                return fields
            default:
                return nil
            }
        }
    }
}

extension MessageJSONParser {
    /// Reads an object key, starting at its opening quote: the bit of a part's member, or for any
    /// other key its text. Returns nil for an invalid key.
    ///
    /// A key without escapes is compared in the message's bytes, without making a string.
    fileprivate mutating func partKey() -> (member: UInt8, other: String?)? {
        let quote = index
        index += 1
        let start = index
        _ = skipPlainStringBytes()
        if current == UInt8(ascii: "\"") {
            let member = PartFields.member(named: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            if member != 0 {
                index += 1
                return (member, nil)
            }
        }
        index = quote
        guard var key = string() else { return nil }
        let member = key.withUTF8 { PartFields.member(named: UnsafeRawBufferPointer($0)) }
        return member != 0 ? (member, nil) : (0, key)
    }
}

/// The members of a part message, read in one pass.
private struct PartFields {
    var id: JSONValue?
    var number: JSONValue?
    var log: JSONValue?
    var encoding: JSONValue?
    var final: JSONValue?
    var uuid: JSONValue?
    var meta: JSONValue?
    var queuedAt: JSONValue?
    /// Whether a key above came twice, which makes `parse(_:)` fail.
    private(set) var hasDuplicate = false
    /// The members above already read, one bit each.
    private var seen: UInt8 = 0

    /// Returns the bit of the member named by the UTF-8 `name`, or 0 when a part has no such member.
    static func member(named name: UnsafeRawBufferPointer) -> UInt8 {
        func matches(_ expected: StaticString) -> Bool {
            name.count == expected.utf8CodeUnitCount
                && memcmp(name.baseAddress!, expected.utf8Start, name.count) == 0
        }
        switch name.count {
        case 2: return matches("id") ? 1 : 0
        case 3: return matches("log") ? 4 : 0
        case 4: return matches("uuid") ? 32 : matches("meta") ? 64 : 0
        case 5: return matches("final") ? 16 : 0
        case 6: return matches("number") ? 2 : 0
        case 8: return matches("encoding") ? 8 : 0
        case 9: return matches("queued_at") ? 128 : 0
        default: return 0
        }
    }

    /// Stores a member under the bit that `member(named:)` returned for its key.
    mutating func set(_ member: UInt8, to value: JSONValue) {
        if seen & member != 0 { hasDuplicate = true }
        seen |= member
        switch member {
        case 1: id = value
        case 2: number = value
        case 4: log = value
        case 8: encoding = value
        case 16: final = value
        case 32: uuid = value
        case 64: meta = value
        default: queuedAt = value
        }
    }

    /// Returns the part `RawLogPart(json:)` makes of these members, or nil where it would throw.
    func part() -> RawLogPart? {
        guard !hasDuplicate, let id, let jobID = RawLogPart.positiveInteger(id), let number = partNumber() else {
            return nil
        }
        let text: String
        switch log {
        case .string(let value): text = value
        case nil, .null: text = ""
        default: return nil
        }
        let partEncoding: String?
        switch encoding {
        case nil, .null: partEncoding = nil
        case .string("base64"): partEncoding = "base64"
        default: return nil
        }
        return RawLogPart(
            jobID: JobID(jobID), log: text, number: number, isFinal: final == .bool(true), encoding: partEncoding,
            uuid: uuid?.stringValue, meta: meta, queuedAt: queuedAt?.stringValue)
    }

    private func partNumber() -> PartNumber? {
        if case .string("last") = number { return .last }
        guard let number, let value = RawLogPart.nonNegativeInteger(number), value <= Int64(PartNumber.lastValue) else {
            return nil
        }
        return value == Int64(PartNumber.lastValue) ? .last : .number(Int(value))
    }
}
