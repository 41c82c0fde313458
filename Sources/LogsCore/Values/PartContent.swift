/// The text form in which a log part is stored, and the joining of parts into a log.
///
/// Workers cut a job's output into parts by bytes, so a multi-byte UTF-8 character can be split
/// between two parts. The `log_parts.content` column is text and cannot hold the loose bytes, yet
/// the aggregated log must show the character whole. So a part's edges are stored reversibly: up
/// to three orphan continuation bytes at the start, and an unfinished character of up to three
/// bytes at the end, are each written as one scalar from U+10FF80 to U+10FFF4 (the byte's value
/// plus 0x10FF00). Joining turns those scalars back into bytes before decoding the whole log, so
/// the halves meet again; anything still invalid becomes U+FFFD, as do invalid bytes inside a part.
public enum PartContent {
    /// The scalar value whose low byte carries an escaped edge byte.
    static let escapeBase: UInt32 = 0x10FF00
    static let escapeRange: ClosedRange<UInt32> = 0x10FF80...0x10FFFF

    /// Converts a part's raw bytes to its stored text.
    ///
    /// NUL bytes are removed because PostgreSQL text cannot hold them. Invalid UTF-8 inside the
    /// part becomes U+FFFD; the split edges are escaped as described on `PartContent`.
    public static func storedText<Bytes: Collection>(fromBytes raw: Bytes) -> String where Bytes.Element == UInt8 {
        let bytes = raw.contains(0) ? raw.filter { $0 != 0 } : Array(raw)
        let headEnd = orphanContinuationCount(in: bytes)
        let tailStart = unfinishedCharacterStart(in: bytes, notBefore: headEnd)

        let middleBytes = bytes[headEnd..<tailStart]
        let middle = String(decoding: middleBytes, as: UTF8.self)
        let text = joinEscaped(head: bytes[..<headEnd], middle: middle, tail: bytes[tailStart...])
        // Every scalar in `escapeRange` is encoded with a leading 0xF4 byte, so text without one
        // cannot be misread.
        guard middleBytes.contains(0xF4) else { return text }
        let expected = Array(bytes[..<headEnd]) + Array(middle.utf8) + Array(bytes[tailStart...])
        guard Self.bytes(ofStoredText: text) != expected else { return text }
        return joinEscaped(
            head: bytes[..<headEnd], middle: replacingEdgeLookalikes(in: middle), tail: bytes[tailStart...])
    }

    private static func joinEscaped(head: ArraySlice<UInt8>, middle: String, tail: ArraySlice<UInt8>) -> String {
        // The appends below cost time even when empty (about 4% of the worker's CPU time in a perf
        // profile of script/bench/drain), so parts without split edges return here.
        guard !head.isEmpty || !tail.isEmpty else { return middle }
        var text = ""
        text.unicodeScalars.append(contentsOf: head.map(escapedScalar(for:)))
        text += middle
        text.unicodeScalars.append(contentsOf: tail.map(escapedScalar(for:)))
        return text
    }

    /// Returns the raw bytes of a stored part, with its escaped edges turned back into bytes.
    public static func bytes(ofStoredText text: String) -> [UInt8] {
        guard mayContainEscapes(text) else { return Array(text.utf8) }
        let scalars = text.unicodeScalars
        var headBytes: [UInt8] = []
        var headEnd = scalars.startIndex
        while headBytes.count < 3, headEnd != scalars.endIndex, let byte = escapedByte(scalars[headEnd]),
            isContinuation(byte)
        {
            headBytes.append(byte)
            headEnd = scalars.index(after: headEnd)
        }
        var tailBytes: [UInt8] = []
        var tailStart = scalars.endIndex
        while tailBytes.count < 3, tailStart > headEnd,
            let byte = escapedByte(scalars[scalars.index(before: tailStart)])
        {
            tailBytes.insert(byte, at: 0)
            tailStart = scalars.index(before: tailStart)
        }

        var bytes = headBytes
        bytes.reserveCapacity(text.utf8.count)
        bytes.append(contentsOf: text.utf8[headEnd..<tailStart])
        bytes.append(contentsOf: tailBytes)
        return bytes
    }

    /// Returns a stored part as valid text on its own, with split edges shown as U+FFFD.
    public static func displayText(ofStoredText text: String) -> String {
        guard mayContainEscapes(text) else { return text }
        return String(decoding: bytes(ofStoredText: text), as: UTF8.self)
    }

    /// Joins stored parts, in the order given, after an already valid prefix.
    ///
    /// - Returns: valid text in which characters split between neighbouring parts are whole.
    public static func joined(_ storedTexts: some Sequence<String>, after prefix: String = "") -> String {
        var bytes = Array(prefix.utf8)
        for text in storedTexts {
            if mayContainEscapes(text) {
                bytes.append(contentsOf: Self.bytes(ofStoredText: text))
            } else {
                bytes.append(contentsOf: text.utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Returns false when `text` has no escaped edge byte, which is the common case, so joining
    /// can copy its UTF-8 as it is. Every scalar from U+10FF80 up is encoded with the lead byte 0xF4.
    private static func mayContainEscapes(_ text: String) -> Bool {
        text.utf8.contains(0xF4)
    }

    private static func orphanContinuationCount(in bytes: [UInt8]) -> Int {
        var count = 0
        while count < min(3, bytes.count), isContinuation(bytes[count]) {
            count += 1
        }
        return count
    }

    /// Returns where an unfinished multi-byte character at the end begins, or `bytes.count`.
    private static func unfinishedCharacterStart(in bytes: [UInt8], notBefore lowerBound: Int) -> Int {
        var index = bytes.count
        while index > lowerBound, bytes.count - index < 3, isContinuation(bytes[index - 1]) {
            index -= 1
        }
        guard index > lowerBound else { return bytes.count }
        let lead = index - 1
        let needed = sequenceLength(lead: bytes[lead])
        let present = bytes.count - lead
        return needed > present ? lead : bytes.count
    }

    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 1
        }
    }

    private static func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0xC0 == 0x80
    }

    private static func escapedScalar(for byte: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(escapeBase + UInt32(byte))!
    }

    private static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        escapeRange.contains(scalar.value) ? UInt8(scalar.value - escapeBase) : nil
    }

    // NOTE: a genuine scalar from U+10FF80 to U+10FFFF (the end of Supplementary Private Use
    // Area-B) among the first or last three scalars of a part can read as an escaped byte; only
    // there, and only when it would be misread, is it stored as U+FFFD. CI output is not known to
    // use these code points.
    private static func replacingEdgeLookalikes(in text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for index in scalars.indices where index < 3 || index >= scalars.count - 3 {
            if escapeRange.contains(scalars[index].value) { scalars[index] = "\u{FFFD}" }
        }
        return String(String.UnicodeScalarView(scalars))
    }
}
