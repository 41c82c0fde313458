import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// Property tests of the hand-written job JSON reader and writer against Foundation's
/// `JSONDecoder` and `JSONEncoder`, which `JSONValue` and `Job` use.
@Suite("Sidekiq job JSON")
struct SidekiqJobJSONTests {
    /// SplitMix64, so that every run draws the same cases and a failure can be repeated.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    /// Characters that JSON escapes or that Unicode treats specially: controls, quotes,
    /// backslash, slash, a combining accent (so "e\u{301}" and "é" are equal Swift strings),
    /// line and paragraph separators, a noncharacter, an astral emoji and a NUL.
    static let alphabet: [String] = [
        "a", "b", "Z", "0", "9", " ", "_", ":", ",", "{", "[", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}",
        "\u{01}", "\u{1F}", "\u{7F}", "é", "e\u{301}", "ß", "Ａ", "日本", "😀", "\u{2028}", "\u{2029}", "\u{FFFF}",
        "\u{0}", "e",
    ]

    static func randomString(_ generator: inout SeededGenerator) -> String {
        let length = Int.random(in: 0...8, using: &generator)
        return (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
    }

    static func randomDouble(_ generator: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<7, using: &generator) {
        case 0: return Double(bitPattern: generator.next())
        case 1: return Double(Int.random(in: 1_600_000_000_000...1_900_000_000_000, using: &generator)) / 1000
        case 2: return Double.random(in: -1...1, using: &generator)
        case 3: return Double(Int64.random(in: -1_000_000...1_000_000, using: &generator))
        case 4:
            return [0.0, -0.0, 1e-7, 5e-324, 1.7976931348623157e308, 1e16, 1e21, .infinity, .nan].randomElement(
                using: &generator)!
        case 5: return Double.random(in: -1e300...1e300, using: &generator)
        default: return Double(Int.random(in: -99_999...99_999, using: &generator)) / 100
        }
    }

    static func randomInteger(_ generator: inout SeededGenerator) -> Int64 {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: return Int64(bitPattern: generator.next())
        case 1: return [Int64.min, Int64.max, 0, -1, 1, 999_999_999_999_999_999].randomElement(using: &generator)!
        default: return Int64.random(in: -100_000...100_000, using: &generator)
        }
    }

    static func randomValue(_ generator: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        let kinds = depth >= 3 ? 5 : 7
        switch Int.random(in: 0..<kinds, using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(randomInteger(&generator))
        case 3: return .double(randomDouble(&generator))
        case 4: return .string(randomString(&generator))
        case 5:
            let count = Int.random(in: 0...4, using: &generator)
            return .array((0..<count).map { _ in randomValue(&generator, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                members[randomString(&generator)] = randomValue(&generator, depth: depth + 1)
            }
            return .object(members)
        }
    }

    static func randomJob(_ generator: inout SeededGenerator) -> Job {
        let arguments = (0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(&generator, depth: 1) }
        var job = Job(
            className: "Travis::Logs::Sidekiq::" + randomString(&generator), queue: randomString(&generator),
            args: arguments, jid: Job.makeJID(), retry: randomValue(&generator, depth: 3),
            createdAt: Date(timeIntervalSince1970: randomDouble(&generator)))
        if Bool.random(using: &generator) { job.enqueuedAt = randomDouble(&generator) }
        if Bool.random(using: &generator) { job.retryCount = Int(randomInteger(&generator)) }
        if Bool.random(using: &generator) { job.errorMessage = randomString(&generator) }
        if Bool.random(using: &generator) { job.errorClass = randomString(&generator) }
        if Bool.random(using: &generator) { job.failedAt = randomDouble(&generator) }
        if Bool.random(using: &generator) { job.retriedAt = randomDouble(&generator) }
        if Bool.random(using: &generator) { job.otherFields[randomString(&generator)] = randomValue(&generator) }
        return job
    }

    /// Variants of valid JSON text: extra whitespace, optional escapes, and damaged bytes.
    static func variants(of text: String, _ generator: inout SeededGenerator) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        var results = [bytes]
        results.append(Array(text.replacingOccurrences(of: ",", with: " ,\n\t").utf8))
        results.append(Array(text.replacingOccurrences(of: "/", with: "\\/").utf8))
        results.append(Array(text.replacingOccurrences(of: "é", with: "\\u00E9").utf8))
        results.append(Array(text.replacingOccurrences(of: "😀", with: "\\ud83d\\ude00").utf8))
        results.append(Array(text.replacingOccurrences(of: "]", with: ",]").utf8))
        guard !bytes.isEmpty else { return results }
        for _ in 0..<3 {
            var damaged = bytes
            let position = Int.random(in: 0..<damaged.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: damaged.remove(at: position)
            case 1: damaged.insert(Array(#"{}[]",:\-0e.x "#.utf8).randomElement(using: &generator)!, at: position)
            default: damaged[position] = UInt8.random(in: 0...255, using: &generator)
            }
            results.append(damaged)
        }
        return results
    }

    /// Compares the fast reader and `Job` reading with Foundation's on one input.
    ///
    /// - Returns: whether the fast reader decided the input instead of leaving it to Foundation.
    @discardableResult
    static func checkAgreement(_ bytes: [UInt8]) -> Bool {
        let foundation = try? JSONValue(parsing: Data(bytes))
        let fast = bytes.withUnsafeBufferPointer { JSONValueReader.read($0) }
        if let fast {
            #expect(fast == foundation, "input: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        let payload = String(decoding: bytes, as: UTF8.self)
        guard Array(payload.utf8) == bytes else { return fast != nil }
        let expected = Self.outcome { try Job(jsonData: Data(bytes)) }
        let actual = Self.outcome { try SidekiqJobJSON.job(from: payload) }
        #expect(actual == expected, "input: \(payload.debugDescription)")
        return fast != nil
    }

    /// An error by its description, so that two outcomes compare with `==`.
    struct ErrorText: Error, Equatable {
        var text: String
    }

    /// Runs `read` and returns the job, or the error's description.
    static func outcome(_ read: () throws -> Job) -> Result<Job, ErrorText> {
        do {
            return .success(try read())
        } catch {
            return .failure(ErrorText(text: "\(error)"))
        }
    }

    @Test("writer matches Foundation on random values")
    func writerMatchesFoundationOnValues() {
        var generator = SeededGenerator(state: 1)
        for _ in 0..<3000 {
            let value = Self.randomValue(&generator)
            let expected = String(decoding: value.jsonData(), as: UTF8.self)
            #expect(JSONValueWriter.string(of: value) == expected)
        }
    }

    @Test("writer matches Foundation on random jobs")
    func writerMatchesFoundationOnJobs() {
        var generator = SeededGenerator(state: 2)
        for _ in 0..<2000 {
            let job = Self.randomJob(&generator)
            #expect(SidekiqJobJSON.payload(of: job) == String(decoding: job.jsonData(), as: UTF8.self))
        }
    }

    @Test("reader agrees with Foundation on variants")
    func readerAgreesOnVariants() {
        var generator = SeededGenerator(state: 3)
        var inputs: [[UInt8]] = []
        for _ in 0..<250 {
            inputs += Self.variants(of: Self.randomValue(&generator).jsonString(), &generator)
        }
        for _ in 0..<150 {
            let text = String(decoding: Self.randomJob(&generator).jsonData(), as: UTF8.self)
            inputs += Self.variants(of: text, &generator)
        }

        let decided = inputs.filter { Self.checkAgreement($0) }.count
        // Exponents, whole-number fractions and damaged bytes go to Foundation; most others do not.
        #expect(decided * 3 > inputs.count, "the fast reader decided \(decided) of \(inputs.count) inputs")
    }

    @Test(
        "reader agrees with Foundation on edge cases",
        arguments: [
            "1.0", "1e2", "-0", "-0.0", "0.5", "-12.25", "100e-2", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "123456789012345678", "1234567890123456789", "0.12345678901234567",
            "1.7976931348623157e309", "1e-400", "01", "-", "1.", ".5", "+1", "[1,]", #"{"a":1,}"#, "[1,,2]",
            #"{"a":1,"a":2}"#, #"{"é":1,"e\u0301":2}"#, #"{"é":1,"é":2}"#, #""\ud800""#, #""\ud83d\ude00""#,
            #""\udc00\ud800""#, #""a\/b""#, #""\x""#, " 1 ", "1 2", "\u{FEFF}1", "\"\t\"", "\"\u{7F}\"", "[]", "{}",
            "nul", "true", "True", "[1]x", #""\u00e9""#, #""\u0000""#, "\n[\r1\t]", "[\u{0B}1]", "1E-2", "",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ])
    func readerAgreesOnEdgeCases(text: String) {
        Self.checkAgreement(Array(text.utf8))
    }

    @Test("reader rejects invalid UTF-8 as Foundation does")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(bytes.withUnsafeBufferPointer { JSONValueReader.read($0) } == nil)
            #expect(throws: LogsError.self) { try JSONValue(parsing: Data(bytes)) }
        }
    }

    @Test("unique key matches Foundation's")
    func uniqueKeyMatchesFoundation() {
        var generator = SeededGenerator(state: 3)
        for index in 0..<1000 {
            var job = Self.randomJob(&generator)
            if index.isMultiple(of: 2) { job.className = JobPayload.ClassName.aggregate }
            #expect(SidekiqJobJSON.uniqueKey(of: job) == job.uniqueKey)
            #expect((job.uniqueKey != nil) == index.isMultiple(of: 2))
        }
    }

    @Test("common jobs take the fast path")
    func commonJobsTakeFastPath() throws {
        let sidekiq =
            #"{"class":"Travis::Logs::Sidekiq::Aggregate","args":[42],"retry":3,"queue":"aggregate","#
            + #""jid":"b4a577edbccf1d805744efa9","created_at":1700000000.123,"enqueued_at":1700000000.4567891}"#
        let part = RawLogPart.base64(
            jobID: JobID(7), content: Array("line \u{1B}[31mred\u{1B}[0m\r\n".utf8), number: .number(3))
        let parts = JobPayload.logParts([part]).makeJob(at: Date(timeIntervalSince1970: 1_700_000_000.25))
        for text in [sidekiq, SidekiqJobJSON.payload(of: parts)] {
            let fast = Array(text.utf8).withUnsafeBufferPointer { JSONValueReader.read($0) }
            let value = try #require(fast, "left to Foundation: \(text)")
            #expect(value == (try JSONValue(parsing: Data(text.utf8))))
        }
    }
}
