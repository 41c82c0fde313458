import LogsCore

extension JSONValueWriter {
    /// Writes the part with its text as base64, the same bytes as
    /// `write(part.base64Encoded().jsonValue)`, without building the part's dictionary or its
    /// base64 string.
    ///
    /// The members appear in the order `writeObject` sorts them into: `encoding`, `final`, `id`,
    /// `log`, `meta`, `number`, `queued_at`, `uuid`.
    mutating func writeBase64LogPart(_ part: RawLogPart) {
        appendLiteral(#"{"encoding":"base64","final":"#)
        appendLiteral(part.isFinal ? "true" : "false")
        appendLiteral(#","id":"#)
        appendInteger(part.jobID.rawValue)
        appendLiteral(#","log":"#)
        if part.encoding == "base64" {
            writeString(part.log)
        } else {
            bytes.append(UInt8(ascii: "\""))
            var log = part.log
            log.withUTF8 { appendBase64(of: $0) }
            bytes.append(UInt8(ascii: "\""))
        }
        if let meta = part.meta {
            appendLiteral(#","meta":"#)
            write(meta)
        }
        appendLiteral(#","number":"#)
        switch part.number {
        case .number(let number): appendInteger(Int64(number))
        case .last: appendLiteral(#""last""#)
        }
        if let queuedAt = part.queuedAt {
            appendLiteral(#","queued_at":"#)
            writeString(queuedAt)
        }
        if let uuid = part.uuid {
            appendLiteral(#","uuid":"#)
            writeString(uuid)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Appends the standard base64 form of `input`, with `=` padding and no line breaks, as
    /// Foundation's `base64EncodedString()` writes it.
    mutating func appendBase64(of input: UnsafeBufferPointer<UInt8>) {
        let outputCount = (input.count + 2) / 3 * 4
        guard outputCount > 0 else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: outputCount))
        Self.base64Alphabet.withUnsafeBufferPointer { alphabet in
            bytes.withUnsafeMutableBufferPointer { buffer in
                var output = start
                var index = 0
                while index + 3 <= input.count {
                    let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                    buffer[output] = alphabet[Int(group >> 18)]
                    buffer[output + 1] = alphabet[Int(group >> 12 & 0x3F)]
                    buffer[output + 2] = alphabet[Int(group >> 6 & 0x3F)]
                    buffer[output + 3] = alphabet[Int(group & 0x3F)]
                    index += 3
                    output += 4
                }
                let remaining = input.count - index
                guard remaining > 0 else { return }
                let second = remaining == 2 ? UInt32(input[index + 1]) : 0
                let group = UInt32(input[index]) << 16 | second << 8
                buffer[output] = alphabet[Int(group >> 18)]
                buffer[output + 1] = alphabet[Int(group >> 12 & 0x3F)]
                buffer[output + 2] = remaining == 2 ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "=")
                buffer[output + 3] = UInt8(ascii: "=")
            }
        }
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}
