import Foundation

/// One log part as a CI worker sends it: a number, raw bytes, and whether it ends the log.
public struct OutgoingLogPart: Sendable, Hashable {
    /// The part number; the first part is 1.
    public var number: Int
    /// The raw bytes, which may start or end inside a multi-byte UTF-8 character.
    public var content: Data
    public var isFinal: Bool

    public init(number: Int, content: Data, isFinal: Bool) {
        self.number = number
        self.content = content
        self.isFinal = isFinal
    }

    /// Cuts a log into parts of at most `partSize` bytes, numbered from 1, followed by an empty
    /// final part, as the Travis worker does.
    ///
    /// The cut ignores character boundaries, so a multi-byte UTF-8 character can be split across
    /// two parts; the service joins the bytes again when it aggregates. An empty log gives only the
    /// final part, numbered 1.
    public static func split(_ log: Data, partSize: Int = maximumSize) -> [OutgoingLogPart] {
        precondition(partSize > 0, "a part size must be at least 1 byte")
        var parts: [OutgoingLogPart] = []
        var start = log.startIndex
        while start < log.endIndex {
            let end = log.index(start, offsetBy: partSize, limitedBy: log.endIndex) ?? log.endIndex
            parts.append(OutgoingLogPart(number: parts.count + 1, content: Data(log[start..<end]), isFinal: false))
            start = end
        }
        parts.append(OutgoingLogPart(number: parts.count + 1, content: Data(), isFinal: true))
        return parts
    }

    /// The largest part the Travis worker sends, in bytes.
    public static let maximumSize = 1653
}
