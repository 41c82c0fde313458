import Foundation
import Testing

@testable import LogsCore

@Suite("RawLogPart")
struct RawLogPartTests {
    private func part(_ text: String) throws -> RawLogPart {
        try RawLogPart(json: JSONValue(parsing: Data(text.utf8)))
    }

    /// Returns the error a part's JSON is rejected with, or nil when it is accepted.
    private func rejection(
        _ text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> LogsError? {
        let json = try JSONValue(parsing: Data(text.utf8))
        return #expect(throws: LogsError.self, sourceLocation: sourceLocation) { try RawLogPart(json: json) }
    }

    @Test("full part is read with every field")
    func fullPart() throws {
        let parsed = try part(
            #"{"id": 42, "log": "hello\n", "number": 3, "final": true, "uuid": "u-1", "#
                + #""meta": {"source": "worker", "n": 1}, "queued_at": "2026-12-04T10:06:07Z"}"#)

        #expect(parsed.jobID == JobID(42))
        #expect(parsed.log == "hello\n")
        #expect(parsed.number == .number(3))
        #expect(parsed.isFinal)
        #expect(parsed.encoding == nil)
        #expect(parsed.uuid == "u-1")
        #expect(parsed.meta == ["source": "worker", "n": 1])
        #expect(parsed.queuedAt == "2026-12-04T10:06:07Z")
    }

    @Test("missing log reads as empty text")
    func missingLog() throws {
        let parsed = try part(#"{"id": 1, "number": 0}"#)

        #expect(parsed.log == "")
        #expect(parsed.isFinal == false)
    }

    @Test("null log reads as empty text")
    func nullLog() throws {
        #expect(try part(#"{"id": 1, "number": 0, "log": null}"#).log == "")
    }

    @Test("digit strings are accepted for id and number")
    func digitStrings() throws {
        let parsed = try part(#"{"id": "42", "number": "7", "log": "x"}"#)

        #expect(parsed.jobID == JobID(42))
        #expect(parsed.number == .number(7))
    }

    @Test("number may be 0")
    func numberZero() throws {
        #expect(try part(#"{"id": 1, "number": 0}"#).number == .number(0))
    }

    @Test("number \"last\" is the last part")
    func lastNumber() throws {
        let parsed = try part(#"{"id": 1, "number": "last", "log": ""}"#)

        #expect(parsed.number == .last)
        #expect(parsed.number.storedValue == 2_147_483_647)
    }

    @Test("number 2^31-1 reads as last")
    func largestNumberIsLast() throws {
        #expect(try part(#"{"id": 1, "number": 2147483647}"#).number == .last)
    }

    @Test(
        "final is true only for JSON true",
        arguments: [
            ("true", true), ("false", false), ("1", false), ("\"true\"", false), ("null", false), ("{}", false),
        ]
    )
    func finalOnlyForTrue(final: String, expected: Bool) throws {
        let parsed = try part(#"{"id": 1, "number": 1, "final": "# + final + "}")

        #expect(parsed.isFinal == expected)
    }

    @Test("base64 encoding is kept")
    func base64Encoding() throws {
        let parsed = try part(#"{"id": 1, "number": 1, "log": "aGk=", "encoding": "base64"}"#)

        #expect(parsed.encoding == "base64")
        #expect(parsed.log == "aGk=")
    }

    @Test("unknown keys are ignored")
    func unknownKeys() throws {
        let parsed = try part(#"{"id": 1, "number": 1, "log": "x", "extra": [1, 2]}"#)

        #expect(parsed == RawLogPart(jobID: JobID(1), log: "x", number: .number(1)))
    }

    @Test("non-object is rejected as not_an_object", arguments: ["[]", "42", "\"part\"", "null", "true"])
    func notAnObject(text: String) throws {
        let error = try rejection(text)

        #expect(error?.code == .invalidLogPart)
        #expect(error?.reason == "not_an_object")
    }

    @Test("missing id is rejected as missing_job_id", arguments: [#"{"number": 1}"#, #"{"id": null, "number": 1}"#])
    func missingJobID(text: String) throws {
        let error = try rejection(text)

        #expect(error?.code == .invalidLogPart)
        #expect(error?.reason == "missing_job_id")
    }

    @Test(
        "bad id is rejected as invalid_job_id",
        arguments: [
            (#""abc""#, #""abc""#), ("-1", "-1"), ("0", "0"), ("1.5", "1.5"), (#""0""#, #""0""#),
            (#""12a""#, #""12a""#), (#""""#, #""""#), ("true", "true"), ("[1]", "[1]"),
            (#""99999999999999999999""#, #""99999999999999999999""#),
        ]
    )
    func invalidJobID(id: String, excerpt: String) throws {
        let error = try rejection(#"{"id": "# + id + #", "number": 1}"#)

        #expect(error?.code == .invalidLogPart)
        #expect(error?.reason == "invalid_job_id")
        #expect(error?.message.contains(excerpt) == true)
    }

    @Test(
        "bad number is rejected as invalid_number",
        arguments: [
            ("-1", "-1"), (#""x""#, #""x""#), ("2147483648", "2147483648"), ("1.5", "1.5"),
            (#""-3""#, #""-3""#), ("null", "null"), ("false", "false"),
        ]
    )
    func invalidNumber(number: String, excerpt: String) throws {
        let error = try rejection(#"{"id": 5, "number": "# + number + "}")

        #expect(error?.code == .invalidLogPart)
        #expect(error?.reason == "invalid_number")
        #expect(error?.message.contains(excerpt) == true)
        #expect(error?.message.contains("job 5") == true)
    }

    @Test("missing number is rejected as invalid_number")
    func missingNumber() throws {
        let error = try rejection(#"{"id": 5, "log": "x"}"#)

        #expect(error?.reason == "invalid_number")
    }

    @Test("unknown encoding is rejected as unknown_encoding")
    func unknownEncoding() throws {
        let error = try rejection(#"{"id": 5, "number": 1, "log": "x", "encoding": "gzip"}"#)

        #expect(error?.code == .invalidLogPart)
        #expect(error?.reason == "unknown_encoding")
        #expect(error?.message.contains("\"gzip\"") == true)
    }

    @Test("non-string log is rejected as invalid_log")
    func invalidLog() throws {
        let error = try rejection(#"{"id": 5, "number": 1, "log": 12}"#)

        #expect(error?.reason == "invalid_log")
    }

    @Test("message shows only a short excerpt of a long value")
    func shortExcerpt() throws {
        let secret = String(repeating: "s", count: 30) + "TAIL-OF-LONG-VALUE"
        let error = try rejection(#"{"id": ""# + secret + #"", "number": 1}"#)

        #expect(error?.reason == "invalid_job_id")
        #expect(error?.message.contains("\"sssss") == true)
        #expect(error?.message.contains("TAIL-OF-LONG-VALUE") == false)
        #expect(error?.message.contains("…") == true)
        #expect((error?.message.count ?? .max) < 120)
    }

    @Test("message shows only a short excerpt of a long encoding")
    func shortEncodingExcerpt() throws {
        let encoding = String(repeating: "e", count: 40) + "END"
        let error = try rejection(#"{"id": 1, "number": 1, "encoding": ""# + encoding + #""}"#)

        #expect(error?.reason == "unknown_encoding")
        #expect(error?.message.contains("END") == false)
    }

    @Test("message of a long number shows only an excerpt")
    func shortNumberExcerpt() throws {
        let error = try rejection(#"{"id": 1, "number": ["# + String(repeating: "1,", count: 40) + "2]}")

        #expect(error?.reason == "invalid_number")
        #expect(error?.message.contains("1,2]") == false)
    }

    @Test("JSON form reads back equal")
    func jsonRoundTrip() throws {
        let original = RawLogPart(
            jobID: JobID(9), log: "text", number: .last, isFinal: true, encoding: "base64", uuid: "abc",
            meta: ["k": [1, 2]], queuedAt: "2026-01-01T00:00:00Z")

        #expect(try RawLogPart(json: original.jsonValue) == original)
    }

    @Test("JSON form has the original's keys")
    func jsonShape() {
        let value = RawLogPart(jobID: JobID(9), log: "text", number: .number(2)).jsonValue

        #expect(value == ["id": 9, "log": "text", "number": 2, "final": false])
    }

    @Test("argument of one object gives one part")
    func argumentSingleObject() throws {
        let argument = try JSONValue(parsing: Data(#"{"id": 3, "number": 1, "log": "a"}"#.utf8))
        let results = RawLogPart.parts(fromArgument: argument)

        #expect(results.count == 1)
        #expect(try results.first?.get().jobID == JobID(3))
    }

    @Test("argument array keeps good parts around a bad one")
    func argumentWithBadElement() throws {
        let argument = try JSONValue(
            parsing: Data(
                #"[{"id": 3, "number": 1, "log": "a"}, {"id": "abc", "number": 2}, 17, {"id": 3, "number": 3}]"#
                    .utf8))
        let results = RawLogPart.parts(fromArgument: argument)
        let good = results.compactMap { try? $0.get() }
        let reasons = results.compactMap { result -> String? in
            if case .failure(let error) = result { return error.reason }
            return nil
        }

        #expect(results.count == 4)
        #expect(good.map(\.number) == [.number(1), .number(3)])
        #expect(reasons == ["invalid_job_id", "not_an_object"])
    }

    @Test("base64Encoded encodes the UTF-8 of plain text")
    func base64Encoded() {
        let plain = RawLogPart(jobID: JobID(1), log: "héllo €", number: .number(1), isFinal: true)
        let encoded = plain.base64Encoded()

        #expect(encoded.encoding == "base64")
        #expect(encoded.log == Data("héllo €".utf8).base64EncodedString())
        #expect(encoded.isFinal)
        #expect(encoded.number == .number(1))
    }

    @Test("base64Encoded leaves base64 parts alone")
    func base64EncodedIdempotent() {
        let part = RawLogPart.base64(jobID: JobID(1), content: [0xE2, 0x82], number: .number(4))

        #expect(part.encoding == "base64")
        #expect(part.log == "4oI=")
        #expect(part.base64Encoded() == part)
    }
}
