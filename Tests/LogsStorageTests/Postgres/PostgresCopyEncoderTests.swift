import Testing

@testable import LogsStorage

@Suite("PostgreSQL COPY encoder")
struct PostgresCopyEncoderTests {
    static func encoded(_ values: [String?]) -> String {
        var encoder = PostgresCopyEncoder(reservingCapacity: 64)
        encoder.appendRow(values)
        return String(decoding: encoder.bytes, as: UTF8.self)
    }

    @Test(
        "text escapes backslash, tab, newline and return",
        arguments: [
            ("plain", "plain"),
            ("", ""),
            ("\\", "\\\\"),
            ("a\tb", "a\\tb"),
            ("\nstart", "\\nstart"),
            ("end\r", "end\\r"),
            ("\r\n\r\n", "\\r\\n\\r\\n"),
            ("C:\\path\\", "C:\\\\path\\\\"),
            ("\u{1B}[31mred\u{1B}[0m é 日本", "\u{1B}[31mred\u{1B}[0m é 日本"),
        ])
    func escapes(text: String, expected: String) {
        #expect(Self.encoded([text]) == expected + "\n")
    }

    @Test("row separates columns with tabs and writes nil as \\N")
    func row() {
        #expect(Self.encoded(["1", nil, "a\tb", "t"]) == "1\t\\N\ta\\tb\tt\n")
    }

    @Test("rows follow each other")
    func rows() {
        var encoder = PostgresCopyEncoder(reservingCapacity: 0)
        encoder.appendRow(["1", "x\n"])
        encoder.appendRow(["2", "y"])
        #expect(String(decoding: encoder.bytes, as: UTF8.self) == "1\tx\\n\n2\ty\n")
    }

    @Test("integers are written in decimal", arguments: [Int64(0), 7, -7, 2_147_483_647, Int64.max, Int64.min])
    func integers(value: Int64) {
        var encoder = PostgresCopyEncoder(reservingCapacity: 0)
        encoder.appendInteger(value)
        #expect(String(decoding: encoder.bytes, as: UTF8.self) == String(value))
    }

    @Test("row written value by value equals appendRow")
    func valueByValue() {
        var encoder = PostgresCopyEncoder(reservingCapacity: 0)
        encoder.appendInteger(12)
        encoder.appendSeparator()
        let accepted = encoder.appendEscapedRejectingNUL("a\tb\\c\r\n")
        #expect(accepted)
        encoder.appendSeparator()
        encoder.appendEscaped("t")
        encoder.endRow()
        #expect(String(decoding: encoder.bytes, as: UTF8.self) == Self.encoded(["12", "a\tb\\c\r\n", "t"]))
    }

    @Test("NUL byte is rejected at any offset", arguments: Array(0..<12))
    func nulRejected(offset: Int) {
        var encoder = PostgresCopyEncoder(reservingCapacity: 0)
        let text = String(repeating: "x", count: offset) + "\u{0}" + "tail"
        let accepted = encoder.appendEscapedRejectingNUL(text)
        #expect(accepted == false)
        #expect(encoder.bytes.contains(0) == false)
    }
}
