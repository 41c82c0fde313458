import Foundation
import LogsCore

/// Serializes `JSONValue`s for responses with sorted keys and unescaped slashes, as
/// `JSONValue.jsonData()` does.
///
/// Foundation's encoder escapes strings one character at a time, which took a fifth of the time
/// of `GET /logs/:id` for a 50 KB log (measured with perf on the release build). This writer copies
/// runs of bytes that need no escaping in one step.
enum JSONWriter {
    static func data(_ value: JSONValue) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        write(value, into: &bytes)
        return Data(bytes)
    }

    private static func write(_ value: JSONValue, into bytes: inout [UInt8]) {
        switch value {
        case .null:
            bytes.append(contentsOf: "null".utf8)
        case .bool(let flag):
            bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number):
            bytes.append(contentsOf: String(number).utf8)
        case .double(let number):
            bytes.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .string(let text):
            writeString(text, into: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                write(members[key]!, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Writes a string literal, escaping `"`, `\` and control characters as RFC 8259 requires.
    private static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            // One allocation while at most one byte in 16 needs a two-byte escape, as in a log of
            // lines longer than 16 bytes, instead of doubling the array while a 50 KB log is copied in.
            bytes.reserveCapacity(bytes.count + utf8.count + utf8.count / 16 + 16)
            var runStart = 0
            var index = 0
            while index < utf8.count {
                index = firstEscapedIndex(in: utf8, from: index)
                guard index < utf8.count else { break }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(for: utf8[index], into: &bytes)
                index += 1
                runStart = index
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Returns the index of the first byte from `start` on that must be escaped, or the count.
    ///
    /// It tests eight bytes at a time, because a byte-by-byte loop over a 50 KB log took a fifth of
    /// the CPU time of `GET /logs/:id` (perf on a release build).
    private static func firstEscapedIndex(in utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = utf8.baseAddress else { return utf8.count }
        let raw = UnsafeRawPointer(base)
        var index = start
        while index + 8 <= utf8.count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if wordNeedsEscape(word) { break }
            index += 8
        }
        while index < utf8.count {
            if byteNeedsEscape(utf8[index]) { return index }
            index += 1
        }
        return utf8.count
    }

    /// Returns whether any of the eight bytes is below 0x20, a `"` or a `\`.
    ///
    /// `(x - 0x01…01) & ~x & 0x80…80` is non-zero exactly when a byte of `x` is zero, and with
    /// `0x20…20` in place of the ones when a byte is below 0x20. XOR turns the sought byte to zero.
    @inline(__always)
    private static func wordNeedsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highBits
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let quote = (quotes &- ones) & ~quotes & highBits
        let backslash = (backslashes &- ones) & ~backslashes & highBits
        return (control | quote | backslash) != 0
    }

    @inline(__always)
    private static func byteNeedsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscape(for byte: UInt8, into bytes: inout [UInt8]) {
        let shortForm: UInt8?
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): shortForm = byte
        case 0x0A: shortForm = UInt8(ascii: "n")
        case 0x0D: shortForm = UInt8(ascii: "r")
        case 0x09: shortForm = UInt8(ascii: "t")
        case 0x08: shortForm = UInt8(ascii: "b")
        case 0x0C: shortForm = UInt8(ascii: "f")
        default: shortForm = nil
        }
        bytes.append(UInt8(ascii: "\\"))
        if let shortForm {
            bytes.append(shortForm)
            return
        }
        // Only bytes below 0x20 get here, so the code is `\u00` and two hexadecimal digits.
        let hexDigits = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: "u00".utf8)
        bytes.append(hexDigits[Int(byte >> 4)])
        bytes.append(hexDigits[Int(byte & 0x0F)])
    }
}
