/// A base64 decoder for the canonical form that workers and this service write: the standard
/// alphabet, a length that is a multiple of 4, and `=` padding only in the last two places.
///
/// It returns nil for any other text, so callers fall back to Foundation's decoder, whose result
/// then decides. For canonical text both return the same bytes, as the property tests check, and
/// this one allocates only the result.
enum Base64Decoding {
    /// The 6-bit value of each byte of the standard alphabet, and 0xFF for every other byte.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    /// Decodes canonical base64, or returns nil when the text is not in that form.
    static func decodeCanonical(_ text: String) -> [UInt8]? {
        let decoded = text.utf8.withContiguousStorageIfAvailable { decodeCanonical($0) }
        return decoded ?? decodeCanonical(Array(text.utf8))
    }

    static func decodeCanonical(_ encoded: some RandomAccessCollection<UInt8>) -> [UInt8]? {
        let count = encoded.count
        guard count % 4 == 0 else { return nil }
        guard count > 0 else { return [] }
        let padding = encoded.last == UInt8(ascii: "=") ? (encoded.dropLast().last == UInt8(ascii: "=") ? 2 : 1) : 0
        let decodedCount = count / 4 * 3 - padding
        return values.withUnsafeBufferPointer { table -> [UInt8]? in
            var isValid = true
            let bytes = [UInt8](unsafeUninitializedCapacity: decodedCount) { output, initializedCount in
                var input = encoded.startIndex
                var written = 0
                // Every quartet but the last has no padding.
                for _ in 0..<(count / 4 - 1) {
                    let a = table[Int(encoded[input])]
                    let b = table[Int(encoded[encoded.index(input, offsetBy: 1)])]
                    let c = table[Int(encoded[encoded.index(input, offsetBy: 2)])]
                    let d = table[Int(encoded[encoded.index(input, offsetBy: 3)])]
                    guard (a | b | c | d) & 0xC0 == 0 else {
                        isValid = false
                        break
                    }
                    output[written] = a << 2 | b >> 4
                    output[written + 1] = b << 4 | c >> 2
                    output[written + 2] = c << 6 | d
                    written += 3
                    input = encoded.index(input, offsetBy: 4)
                }
                if isValid {
                    let a = table[Int(encoded[input])]
                    let b = table[Int(encoded[encoded.index(input, offsetBy: 1)])]
                    let c = padding == 2 ? 0 : table[Int(encoded[encoded.index(input, offsetBy: 2)])]
                    let d = padding >= 1 ? 0 : table[Int(encoded[encoded.index(input, offsetBy: 3)])]
                    if (a | b | c | d) & 0xC0 == 0 {
                        output[written] = a << 2 | b >> 4
                        if padding < 2 { output[written + 1] = b << 4 | c >> 2 }
                        if padding < 1 { output[written + 2] = c << 6 | d }
                        written += 3 - padding
                    } else {
                        isValid = false
                    }
                }
                initializedCount = isValid ? written : 0
            }
            return isValid ? bytes : nil
        }
    }
}
