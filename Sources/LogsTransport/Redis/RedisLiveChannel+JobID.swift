import LogsCore

extension RedisLiveChannel {
    /// Reads the job id of a channel message without decoding the rest, so a subscriber can drop
    /// the messages of jobs that no client watches at the cost of one pass over the bytes.
    ///
    /// Returns nil when the message is not a JSON object of strings, numbers and literals with a
    /// positive integer `id` member, or when a member name before `id` uses an escape sequence.
    /// A caller then decodes the message with `event(fromMessage:)`, which decides.
    public static func jobID(inMessage message: String) -> JobID? {
        var message = message
        return message.withUTF8 { bytes in
            var scanner = FlatObjectScanner(bytes: bytes)
            return scanner.integerMember(named: "id").flatMap { $0 > 0 ? JobID($0) : nil }
        }
    }
}

/// Finds one integer member of a JSON object whose members are strings, numbers or literals,
/// skipping the other members' values without decoding them.
private struct FlatObjectScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    mutating func integerMember(named name: String) -> Int64? {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        while true {
            skipWhitespace()
            guard let key = stringRange() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            if bytes[key].elementsEqual(name.utf8) { return integer() }
            guard skipValue() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    /// Reads a string and returns the range of its bytes between the quotes, escapes undecoded.
    private mutating func stringRange() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"):
                index += 2
            case UInt8(ascii: "\""):
                index += 1
                return start..<(index - 1)
            default:
                index += 1
            }
        }
        return nil
    }

    /// Skips a string, number or literal; returns false for an object, an array or the end.
    private mutating func skipValue() -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return stringRange() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return false
        default:
            while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "}") {
                index += 1
            }
            return true
        }
    }

    private mutating func integer() -> Int64? {
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            index += 1
        }
        let end = index
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "}") else {
            return nil
        }
        return Int64(String(decoding: bytes[start..<end], as: UTF8.self))
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}
