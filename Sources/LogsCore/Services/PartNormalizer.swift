import Foundation

/// Turns parts as workers send them into parts ready to store.
///
/// The rules: base64 is decoded when `encoding` says so, tolerating line breaks inside it;
/// `"last"` becomes `PartNumber.lastValue`; NUL bytes are removed; invalid UTF-8 becomes U+FFFD,
/// except that a character split at the part's edges is kept for joining (see `PartContent`).
/// Everything else, ANSI escapes and carriage returns included, passes through byte for byte.
public struct PartNormalizer: Sendable {
    public init() {}

    /// Normalizes one part.
    ///
    /// - Throws: `LogsError` with code `.invalidLogPart` and reason `invalid_base64` when the
    ///   content is marked as base64 but does not decode.
    public func normalize(_ part: RawLogPart) throws -> LogPart {
        let bytes = try contentBytes(of: part)
        return LogPart(
            jobID: part.jobID, number: part.number.storedValue, storedContent: PartContent.storedText(fromBytes: bytes),
            isFinal: part.isFinal, meta: part.meta)
    }

    /// Returns the raw bytes a part carries.
    public func contentBytes(of part: RawLogPart) throws -> [UInt8] {
        guard part.encoding == "base64" else { return Array(part.log.utf8) }
        if let bytes = Base64Decoding.decodeCanonical(part.log) { return bytes }
        guard let data = Self.decodeBase64(part.log) else {
            throw LogsError(
                .invalidLogPart,
                "log part \(part.number.storedValue) of job \(part.jobID) is marked base64 but does not decode",
                reason: "invalid_base64")
        }
        return Array(data)
    }

    /// Decodes base64 that may contain line breaks and may lack its `=` padding.
    static func decodeBase64(_ text: String) -> Data? {
        let isWhitespace = { (byte: UInt8) in byte == 0x0A || byte == 0x0D || byte == 0x20 || byte == 0x09 }
        // Most parts are one padded line, which decodes without a compacted copy.
        if text.utf8.count % 4 == 0 && !text.utf8.contains(where: isWhitespace) {
            return Data(base64Encoded: text)
        }
        var compact = text.utf8.filter { !isWhitespace($0) }
        let remainder = compact.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { compact.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 4 - remainder)) }
        return Data(base64Encoded: Data(compact))
    }
}
