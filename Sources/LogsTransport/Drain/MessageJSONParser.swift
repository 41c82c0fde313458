import Foundation
import LogsCore

/// A JSON parser for the plain documents that workers publish, much cheaper than
/// `JSONValue(parsing:)`, which goes through `JSONDecoder` and tries each type in turn.
///
/// It returns nil for anything outside a strict subset of JSON: invalid UTF-8, unescaped control
/// characters, lone surrogate escapes, numbers with a fraction or an exponent or beyond `Int64`,
/// duplicate object keys, trailing commas, and nesting deeper than `maximumDepth`. The caller then
/// parses with `JSONValue(parsing:)`, so the set of accepted documents and their values stay those
/// of Foundation's decoder.
struct MessageJSONParser {
    static let maximumDepth = 64

    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses `data` as one JSON value, or returns nil.
    static func parse(_ data: Data) -> JSONValue? {
        // The types are spelled out because JSONValue is ExpressibleByNilLiteral, so a bare `nil`
        // could become `JSONValue.null` instead of no value.
        data.withUnsafeBytes { (buffer) -> JSONValue? in
            var parser = MessageJSONParser(bytes: buffer)
            guard let value = parser.value(depth: 0) else { return Optional<JSONValue>.none }
            parser.skipWhitespace()
            guard parser.index == buffer.count else { return Optional<JSONValue>.none }
            return value
        }
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    mutating func value(depth: Int) -> JSONValue? {
        skipWhitespace()
        guard let byte = current, depth < Self.maximumDepth else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return integer()
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return nil }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] {
            return nil
        }
        index += count
        return value
    }

    private mutating func object(depth: Int) -> JSONValue? {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let member = value(depth: depth + 1), members.updateValue(member, forKey: key) == nil else {
                return nil
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default:
                return nil
            }
        }
    }

    private mutating func array(depth: Int) -> JSONValue? {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            guard let element = value(depth: depth + 1) else { return nil }
            elements.append(element)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default:
                return nil
            }
        }
    }

    /// Reads an integer without a fraction or an exponent that fits in `Int64`.
    private mutating func integer() -> JSONValue? {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            index += 1
        }
        let digitCount = index - digitsStart
        guard digitCount > 0, digitCount < 19 else { return nil }
        if digitCount > 1 && bytes[digitsStart] == UInt8(ascii: "0") { return nil }
        if let byte = current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            return nil
        }
        var magnitude: Int64 = 0
        for offset in digitsStart..<index {
            magnitude = magnitude * 10 + Int64(bytes[offset] - UInt8(ascii: "0"))
        }
        return .integer(bytes[start] == UInt8(ascii: "-") ? -magnitude : magnitude)
    }

    /// Reads a string, starting at its opening quote.
    mutating func string() -> String? {
        index += 1
        let start = index
        // The bits of every byte ORed together, so that a value below 0x80 means ASCII only.
        var allBits = skipPlainStringBytes()
        guard let byte = current, byte >= 0x20 else { return nil }
        if byte == UInt8(ascii: "\"") {
            // Strings without escapes, the common case, are validated and copied in one step,
            // straight from the message's bytes.
            let text = Self.validatedString(
                UnsafeBufferPointer(rebasing: bytes.assumingMemoryBound(to: UInt8.self)[start..<index]),
                isASCII: allBits < 0x80)
            index += 1
            return text
        }
        // The rest of the message bounds the string, so the array never grows.
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.count - start)
        utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.assumingMemoryBound(to: UInt8.self)[start..<index]))
        guard appendEscapedRest(to: &utf8, allBits: &allBits) else { return nil }
        index += 1
        return utf8.withUnsafeBufferPointer { Self.validatedString($0, isASCII: allBits < 0x80) }
    }

    /// Advances past the bytes that a JSON string may hold unescaped, up to a quote, a backslash,
    /// a control character or the end, and returns those bytes ORed together.
    mutating func skipPlainStringBytes() -> UInt8 {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var position = index
        var allBits: UInt8 = 0
        while position < bytes.count {
            let byte = base[position]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
            allBits |= byte
            position += 1
        }
        index = position
        return allBits
    }

    /// Returns the bytes as a string, or nil when they are not valid UTF-8.
    ///
    /// `String(validating:as:)` would do the same, but it is generic and in Swift 6.3 looked up
    /// type metadata on every call, about 1,000 instructions per string in the drain's profile.
    static func validatedString(_ utf8: UnsafeBufferPointer<UInt8>, isASCII: Bool) -> String? {
        let text = String(decoding: utf8, as: UTF8.self)
        if isASCII { return text }
        // Decoding replaces each invalid sequence with U+FFFD, which makes the result differ from
        // the input at the first invalid byte, so an equal result means the input was valid.
        return text.utf8.elementsEqual(utf8) ? text : nil
    }

    /// Reads the rest of a string from its first backslash up to the closing quote, ORing every
    /// byte it appends into `allBits`.
    private mutating func appendEscapedRest(to utf8: inout [UInt8], allBits: inout UInt8) -> Bool {
        while let byte = current, byte != UInt8(ascii: "\"") {
            guard byte >= 0x20 else { return false }
            guard byte == UInt8(ascii: "\\") else {
                // Copies the run up to the next quote, backslash or control character at once.
                let runStart = index
                allBits |= skipPlainStringBytes()
                let run = bytes.assumingMemoryBound(to: UInt8.self)[runStart..<index]
                utf8.append(contentsOf: UnsafeBufferPointer(rebasing: run))
                continue
            }
            index += 1
            guard let escape = current else { return false }
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                guard let scalar = unicodeEscape() else { return false }
                if scalar.isASCII {
                    utf8.append(UInt8(scalar.value))
                } else {
                    allBits |= 0x80
                    UTF8.encode(scalar) { utf8.append($0) }
                }
            default: return false
            }
        }
        return current != nil
    }

    /// Reads the hex digits after `\u`, and a second `\uXXXX` for a surrogate pair.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let unit = hexUnit() else { return nil }
        if (0xD800...0xDBFF).contains(unit) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            index += 2
            guard let low = hexUnit(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(unit)
    }

    private mutating func hexUnit() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var unit: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            unit = unit << 4 | digit
            index += 1
        }
        return unit
    }
}
