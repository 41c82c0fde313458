/// A JSON parser for the common shapes of job JSON, returning what `JSONValue(parsing:)` returns.
///
/// It reads UTF-8 JSON with the standard escapes, strings, integers of up to 18 digits and
/// decimal fractions of up to 17 digits. For any other input it returns nil, and the caller
/// parses the bytes with Foundation instead. Such inputs are exponents, fractions that are whole
/// numbers (Foundation reads `1.0` as an integer), longer numbers, trailing commas, a byte order
/// mark or UTF-16, invalid input, and nesting deeper than `maximumDepth`. So every input gets
/// Foundation's result, and the property tests check that both agree where this parser decides.
package struct JSONValueReader {
    /// The input leaves the fast path; the caller parses it with Foundation.
    package struct Undecided: Error {}

    static let maximumDepth = 64

    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(bytes: UnsafeBufferPointer<UInt8>, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    /// Parses one JSON document, or returns nil when Foundation must decide.
    package static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var reader = JSONValueReader(bytes: bytes)
        do {
            reader.skipWhitespace()
            let value = try reader.readValue(depth: 0)
            reader.skipWhitespace()
            guard reader.index == bytes.count else { return Optional.none }
            return value
        } catch {
            return nil
        }
    }

    // MARK: - Values

    mutating func readValue(depth: Int) throws(Undecided) -> JSONValue {
        guard depth < Self.maximumDepth, let byte = peek() else { throw Undecided() }
        switch byte {
        case UInt8(ascii: "{"): return try readObject(depth: depth)
        case UInt8(ascii: "["): return try readArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): return try readLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try readLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try readLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw Undecided()
        }
    }

    /// Reads an object; of a repeated key the first value is kept, as Foundation keeps it.
    mutating func readObject(depth: Int) throws(Undecided) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        // Room for a log part's keys, so that a part's dictionary is allocated once.
        members.reserveCapacity(8)
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw Undecided() }
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let value = try readValue(depth: depth + 1)
            // A new key costs one hash lookup, and a repeated key gets its first value back.
            if let first = members.updateValue(value, forKey: key) { members[key] = first }
            skipWhitespace()
            if try endOfContainer(UInt8(ascii: "}")) { return .object(members) }
        }
    }

    mutating func readArray(depth: Int) throws(Undecided) -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try readValue(depth: depth + 1))
            skipWhitespace()
            if try endOfContainer(UInt8(ascii: "]")) { return .array(elements) }
        }
    }

    /// Consumes a `,` and returns false, or consumes `closing` and returns true.
    ///
    /// A `,` followed by `closing` is a trailing comma, which Foundation accepts; it is left to
    /// Foundation.
    mutating func endOfContainer(_ closing: UInt8) throws(Undecided) -> Bool {
        switch peek() {
        case UInt8(ascii: ","):
            index += 1
            skipWhitespace()
            if peek() == closing { throw Undecided() }
            return false
        case closing:
            index += 1
            return true
        default:
            throw Undecided()
        }
    }

    mutating func readLiteral(_ literal: StaticString, _ value: JSONValue) throws(Undecided) -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw Undecided() }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw Undecided()
        }
        index += count
        return value
    }

    // MARK: - Skipping

    /// Checks one value and moves past it without building it, deciding exactly as `readValue`
    /// decides.
    mutating func skipValue(depth: Int) throws(Undecided) {
        guard depth < Self.maximumDepth, let byte = peek() else { throw Undecided() }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                guard peek() == UInt8(ascii: "\"") else { throw Undecided() }
                try skipString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if try endOfContainer(UInt8(ascii: "}")) { return }
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if try endOfContainer(UInt8(ascii: "]")) { return }
            }
        case UInt8(ascii: "\""):
            try skipString()
        default:
            // Literals and numbers are read without allocating.
            _ = try readValue(depth: depth)
        }
    }

    /// Moves past a string starting at its opening quote. An ASCII string without escapes is only
    /// scanned; any other string is read by `readString`, which validates its escapes and UTF-8.
    mutating func skipString() throws(Undecided) {
        let start = index
        index += 1
        skipPlainStringBytes()
        while let byte = peek() {
            if byte == UInt8(ascii: "\"") {
                index += 1
                return
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { break }
            index += 1
        }
        index = start
        _ = try readString()
    }

    // MARK: - Numbers

    /// Reads an integer of up to 18 digits, or a number with a fraction of up to 17 digits in all
    /// whose fraction is not all zeros.
    ///
    /// Within these limits Foundation's result is fixed: an integer fits `Int64`, and a fraction
    /// with a non-zero digit is no whole number, so Foundation reads it as a `Double`, correctly
    /// rounded as Swift's `Double(_:)` rounds it.
    mutating func readNumber() throws(Undecided) -> JSONValue {
        let start = index
        let isNegative = peek() == UInt8(ascii: "-")
        if isNegative { index += 1 }
        let integerStart = index
        var magnitude: Int64 = 0
        while let byte = peek(), Self.isDigit(byte) {
            guard index - integerStart < 18 else { throw Undecided() }
            magnitude = magnitude * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        let integerDigits = index - integerStart
        guard integerDigits > 0 else { throw Undecided() }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") { throw Undecided() }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { throw Undecided() }
        guard peek() == UInt8(ascii: ".") else { return .integer(isNegative ? -magnitude : magnitude) }

        index += 1
        let fractionStart = index
        var hasNonZeroDigit = false
        while let byte = peek(), Self.isDigit(byte) {
            hasNonZeroDigit = hasNonZeroDigit || byte != UInt8(ascii: "0")
            index += 1
        }
        let fractionDigits = index - fractionStart
        guard fractionDigits > 0, hasNonZeroDigit, integerDigits + fractionDigits <= 17 else { throw Undecided() }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { throw Undecided() }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let number = Double(text) else { throw Undecided() }
        return .double(number)
    }

    // MARK: - Strings

    /// Reads a string starting at its opening quote.
    ///
    /// Unescaped control characters, unknown escapes, unpaired surrogates and invalid UTF-8 are
    /// left to Foundation, which rejects them.
    mutating func readString() throws(Undecided) -> String {
        index += 1
        let start = index
        skipPlainStringBytes()
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw Undecided() }
            index += 1
        }
        guard let byte = peek() else { throw Undecided() }
        if byte == UInt8(ascii: "\"") {
            index += 1
            return try Self.validated(UnsafeBufferPointer(rebasing: bytes[start..<index - 1]))
        }
        var unescaped = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard let byte = peek() else { throw Undecided() }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try unescaped.withUnsafeBufferPointer { buffer throws(Undecided) in
                    try Self.validated(buffer)
                }
            case UInt8(ascii: "\\"):
                try readEscape(into: &unescaped)
            case 0..<0x20:
                throw Undecided()
            default:
                unescaped.append(byte)
            }
        }
    }

    mutating func readEscape(into unescaped: inout [UInt8]) throws(Undecided) {
        guard let byte = peek() else { throw Undecided() }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(byte)
        case UInt8(ascii: "b"): unescaped.append(0x08)
        case UInt8(ascii: "f"): unescaped.append(0x0C)
        case UInt8(ascii: "n"): unescaped.append(0x0A)
        case UInt8(ascii: "r"): unescaped.append(0x0D)
        case UInt8(ascii: "t"): unescaped.append(0x09)
        case UInt8(ascii: "u"): unescaped.append(contentsOf: String(try readUnicodeEscape()).utf8)
        default: throw Undecided()
        }
    }

    /// Reads the hex digits after `\u`, and a second `\uXXXX` when the first is a high surrogate.
    mutating func readUnicodeEscape() throws(Undecided) -> Unicode.Scalar {
        let first = try readHexQuad()
        if let scalar = Unicode.Scalar(first) { return scalar }
        guard (0xD800..<0xDC00).contains(first), peek() == UInt8(ascii: "\\") else { throw Undecided() }
        index += 1
        guard peek() == UInt8(ascii: "u") else { throw Undecided() }
        index += 1
        let second = try readHexQuad()
        guard (0xDC00..<0xE000).contains(second) else { throw Undecided() }
        let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        guard let scalar = Unicode.Scalar(combined) else { throw Undecided() }
        return scalar
    }

    mutating func readHexQuad() throws(Undecided) -> UInt32 {
        guard bytes.count - index >= 4 else { throw Undecided() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Undecided()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Returns the bytes as a string when they are valid UTF-8.
    ///
    /// ASCII, the common case, needs no validation, and `String(decoding:as:)` is cheaper for it:
    /// `String(validating:as:)` looked up generic metadata for every string it read.
    static func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws(Undecided) -> String {
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else { throw Undecided() }
        return text
    }

    // MARK: - Bytes

    /// Moves past the bytes inside a string that need no attention, eight at a time: printable
    /// ASCII other than `"` and `\`. It stops at or before the first other byte.
    mutating func skipPlainStringBytes() {
        guard let base = bytes.baseAddress else { return }
        let start = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while bytes.count - index >= 8 {
            let word = start.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // A byte's high bit ends up set for a byte equal to `"` or `\` (the word XOR that byte
            // has a zero byte there), below 0x20 (subtracting 0x20 borrows), or from 0x80 up. A
            // borrow can set the bit of a higher byte too, but only after a byte that needs
            // attention, so the loop never skips one.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let flagged =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | (word &- ones &* 0x20) | word
            guard flagged & highBits == 0 else { return }
            index += 8
        }
    }

    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) throws(Undecided) {
        guard peek() == byte else { throw Undecided() }
        index += 1
    }

    /// Skips JSON's four whitespace characters; Foundation rejects any other.
    mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
