import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// Checks the drain's direct paths, from a message to a part and from a part to job JSON, against
/// the paths they replace: `MessageJSONParser.parse` with `RawLogPart(json:)`, and
/// `JSONValueWriter.write` of the part's and the job's `jsonValue`.
@Suite("Drain part JSON")
struct DrainPartJSONTests {
    typealias Generator = SidekiqJobJSONTests.SeededGenerator

    static func randomText(_ generator: inout Generator) -> String {
        SidekiqJobJSONTests.randomString(&generator)
    }

    static func randomPart(_ generator: inout Generator) -> RawLogPart {
        let jobID = [1, 42, 2_147_483_647, Int64.random(in: 1...2_147_483_647, using: &generator)].randomElement(
            using: &generator)!
        let number: PartNumber =
            Int.random(in: 0..<5, using: &generator) == 0
            ? .last : .number(Int.random(in: 0...100_000, using: &generator))
        var part = RawLogPart(
            jobID: JobID(jobID), log: randomText(&generator) + randomText(&generator), number: number,
            isFinal: Bool.random(using: &generator))
        if Int.random(in: 0..<4, using: &generator) == 0 {
            // Base64 as a worker may send it, sometimes with a line break that the writer escapes.
            var encoded = Data(randomText(&generator).utf8).base64EncodedString()
            if Bool.random(using: &generator) { encoded += "\n" }
            part.log = encoded
            part.encoding = "base64"
        }
        if Bool.random(using: &generator) { part.uuid = randomText(&generator) }
        if Bool.random(using: &generator) { part.meta = SidekiqJobJSONTests.randomValue(&generator, depth: 1) }
        if Bool.random(using: &generator) { part.queuedAt = randomText(&generator) }
        return part
    }

    static func previousPartJSON(_ part: RawLogPart) -> [UInt8] {
        var writer = JSONValueWriter()
        writer.write(part.base64Encoded().jsonValue)
        return writer.bytes
    }

    @Test("part writer matches the value writer")
    func partWriterMatches() {
        var generator = Generator(state: 11)
        for _ in 0..<2_000 {
            let part = Self.randomPart(&generator)
            var writer = JSONValueWriter()
            writer.writeBase64LogPart(part)
            #expect(writer.bytes == Self.previousPartJSON(part), "\(part)")
        }
    }

    @Test("part writer handles unicode, controls and meta")
    func partWriterEdgeCases() {
        let parts = [
            RawLogPart(jobID: JobID(7), log: "", number: .number(0)),
            RawLogPart(jobID: JobID(7), log: "\u{1b}[32mok\u{1b}[0m\r\n", number: .number(1), isFinal: true),
            RawLogPart(jobID: JobID(7), log: "caf\u{e9} e\u{301} 😀 \u{0} \u{2028}", number: .last, uuid: "a\"b\\c"),
            RawLogPart(
                jobID: JobID(7), log: "x", number: .number(3), meta: .object(["z": .null, "a": .array([1, "\u{1}"])]),
                queuedAt: "2026-12-05T04:00:00Z"),
            RawLogPart(jobID: JobID(7), log: "eA==\r\n", number: .number(4), encoding: "base64", meta: .null),
        ]
        for part in parts {
            var writer = JSONValueWriter()
            writer.writeBase64LogPart(part)
            #expect(writer.bytes == Self.previousPartJSON(part), "\(part)")
        }
    }

    @Test("base64 matches Foundation")
    func base64MatchesFoundation() {
        var generator = Generator(state: 12)
        for length in Array(0...20) + [1_653, 4_096] {
            let input = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var writer = JSONValueWriter()
            input.withUnsafeBufferPointer { writer.appendBase64(of: $0) }
            #expect(String(decoding: writer.bytes, as: UTF8.self) == Data(input).base64EncodedString(), "\(length)")
        }
    }

    @Test("integer writer matches String")
    func integerWriterMatches() {
        for number: Int64 in [0, 1, 9, 10, -1, -10, 2_147_483_647, .max, .min, 1_000_000_000_000] {
            var writer = JSONValueWriter()
            writer.appendInteger(number)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(number))
        }
    }

    @Test("job with spliced parts matches the job writer", arguments: [JobPayload.logParts([]), .pusherForwarding([])])
    func jobPayloadMatches(kind: JobPayload) throws {
        var generator = Generator(state: 13)
        for count in [0, 1, 2, 5, 100] {
            let parts = (0..<count).map { _ in Self.randomPart(&generator) }
            var list = PartListJSON()
            for part in parts {
                _ = list.append(part)
            }
            #expect(list.count == count)
            let now = Date(timeIntervalSince1970: 1_764_907_200.123456)
            let serialized = DrainConsumer.serializedJob(kind, parts: list, at: now)

            let encoded = parts.map { $0.base64Encoded() }
            let typed: JobPayload
            if case .logParts = kind { typed = .logParts(encoded) } else { typed = .pusherForwarding(encoded) }
            var expected = typed.makeJob(at: now)
            expected.enqueuedAt = expected.createdAt
            let read = try SidekiqJobJSON.job(from: serialized.payload)
            expected.jid = read.jid
            #expect(serialized.queue == typed.queue)
            #expect(read.jid.utf8.count == 24)
            #expect(serialized.payload == SidekiqJobJSON.payload(of: expected), "\(count) parts")
        }
    }

    @Test("part copied between lists keeps its bytes")
    func copiedPartKeepsBytes() {
        var generator = Generator(state: 14)
        var batch = PartListJSON()
        var forwarded = PartListJSON()
        var expected: [[UInt8]] = []
        for index in 0..<20 {
            let part = Self.randomPart(&generator)
            let range = batch.append(part)
            if index % 3 != 0 {
                forwarded.append(from: batch, at: range)
                expected.append(Self.previousPartJSON(part))
            }
        }
        let joined = Array(expected.joined(separator: [UInt8(ascii: ",")]))
        #expect(forwarded.bytes == joined)
        #expect(forwarded.count == expected.count)
    }

    // MARK: - Reading messages

    /// Returns the part of the previous decoding path, or nil where it rejects the message.
    static func previousPart(_ body: Data) -> RawLogPart? {
        guard let json = MessageJSONParser.parse(body) ?? (try? JSONValue(parsing: body)) else { return nil }
        return try? RawLogPart(json: json)
    }

    /// A message with the part's members in random order, values of other types and other keys.
    static func randomMessage(_ generator: inout Generator) -> String {
        let part = randomPart(&generator)
        // Each member is valid three times in four, so that about a third of the messages are parts.
        func pick(_ valid: JSONValue, _ others: [JSONValue]) -> JSONValue {
            Int.random(in: 0..<4, using: &generator) > 0 ? valid : others.randomElement(using: &generator)!
        }
        var members: [(String, String)] = []
        let id = pick(
            .integer(part.jobID.rawValue),
            [
                .string(String(part.jobID.rawValue)), .integer(0), .integer(-3), .integer(3_000_000_000),
                .string("12a"),
                .string(""), .null, .double(1.5),
            ])
        if Int.random(in: 0..<20, using: &generator) > 0 { members.append(("id", JSONValueWriter.string(of: id))) }
        let number: JSONValue
        switch part.number {
        case .last: number = pick("last", [.integer(2_147_483_647), "LAST"])
        case .number(let value): number = pick(.integer(Int64(value)), [.string(String(value)), .integer(-1), .null])
        }
        if Int.random(in: 0..<20, using: &generator) > 0 {
            members.append(("number", JSONValueWriter.string(of: number)))
        }
        let log = pick(.string(part.log), [.null, .integer(5)])
        if Int.random(in: 0..<20, using: &generator) > 0 { members.append(("log", JSONValueWriter.string(of: log))) }
        let final = pick(.bool(part.isFinal), ["true", .integer(1), .null])
        if Bool.random(using: &generator) { members.append(("final", JSONValueWriter.string(of: final))) }
        let encoding = pick(.null, ["base64", "gzip"])
        if Int.random(in: 0..<4, using: &generator) == 0 {
            members.append(("encoding", JSONValueWriter.string(of: encoding)))
        }
        if let uuid = part.uuid { members.append(("uuid", JSONValueWriter.string(of: .string(uuid)))) }
        if Int.random(in: 0..<8, using: &generator) == 0 { members.append(("uuid", "7")) }
        if let meta = part.meta { members.append(("meta", JSONValueWriter.string(of: meta))) }
        if let queuedAt = part.queuedAt { members.append(("queued_at", JSONValueWriter.string(of: .string(queuedAt)))) }
        if Int.random(in: 0..<4, using: &generator) == 0 {
            let other = SidekiqJobJSONTests.randomValue(&generator, depth: 1)
            members.append((randomText(&generator), JSONValueWriter.string(of: other)))
        }
        if Int.random(in: 0..<20, using: &generator) == 0, let first = members.first {
            // A duplicate key, which the previous path hands to Foundation's decoder.
            members.append(first)
        }
        members.shuffle(using: &generator)
        let separator = Bool.random(using: &generator) ? "," : " ,\n\t"
        let body = members.map { key, value in JSONValueWriter.string(of: .string(key)) + ":" + value }
        return "{" + body.joined(separator: separator) + "}"
    }

    @Test("message reader agrees with the previous path")
    func messageReaderAgrees() {
        var generator = Generator(state: 15)
        var read = 0
        for _ in 0..<5_000 {
            let body = Data(Self.randomMessage(&generator).utf8)
            guard let part = MessageJSONParser.logPart(body) else { continue }
            read += 1
            #expect(part == Self.previousPart(body), "\(String(decoding: body, as: UTF8.self))")
        }
        // Most generated messages are valid parts, and the reader must take them.
        #expect(read > 1_000)
    }

    @Test(
        "message reader takes common messages",
        arguments: [
            #"{"id":4,"log":"\u001b[32mline 1\u001b[0m\r\n","number":1}"#,
            #"{"id": "4", "log": "x", "number": "last", "final": true, "encoding": "base64"}"#,
            #"{"id":1,"log":"","number":0,"final":false,"uuid":"u-1","meta":{"a":[1,-2,null],"c":{}}}"#,
            #"{"number":2,"final":true,"log":"caf\u00e9 \ud83d\ude00 \u0000 é","id":9,"queued_at":"t","x":[1]}"#,
            #"{"\u0069d":3,"log":"escaped key","number":5}"#,
        ])
    func messageReaderTakesCommon(_ message: String) throws {
        let body = Data(message.utf8)
        let part = try #require(MessageJSONParser.logPart(body))
        #expect(part == Self.previousPart(body))
    }

    @Test(
        "message reader leaves the rest to the full decoder",
        arguments: [
            #"{"id":4,"log":"x","number":1,"id":4}"#,
            #"{"id":4,"log":"x","number":1,"a":1,"a":1}"#,
            #"{"id":4,"log":"x","number":1,}"#,
            #"{"id":4,"log":"x","number":1.0}"#,
            #"{"id":0,"log":"x","number":1}"#,
            #"{"log":"x","number":1}"#,
            #"{"id":4,"log":"x","number":1,"encoding":"gzip"}"#,
            #"{"id":4,"log":5,"number":1}"#,
            #"{"id":4,"log":"x"}"#,
            #"{}"#,
            #"[]"#,
            #"{"id":4,"log":"x","number":1} x"#,
            "{\"id\":4,\"log\":\"raw\ttab\",\"number\":1}",
        ])
    func messageReaderDefers(_ message: String) {
        #expect(MessageJSONParser.logPart(Data(message.utf8)) == nil)
    }

    @Test("message reader leaves invalid UTF-8 to the full decoder")
    func messageReaderDefersInvalidUTF8() throws {
        var body = Data(#"{"id":4,"number":1,"log":"caf"#.utf8)
        body += [0xE9, 0x22, 0x7D]
        #expect(MessageJSONParser.logPart(body) == nil)
        var escaped = Data(#"{"id":4,"number":1,"log":"\u001b caf"#.utf8)
        escaped += [0xE9, 0x22, 0x7D]
        #expect(MessageJSONParser.logPart(escaped) == nil)
        // The decoder still replaces the byte with U+FFFD instead of dropping the part.
        let part = try DrainMessageDecoder.decode(body).get()
        #expect(part.log == "caf\u{FFFD}")
    }
}
