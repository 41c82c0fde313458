import Foundation
import LogsCore
import Testing

/// Hostile input and races driven through the in-memory pipeline.
@Suite("Hostile input through the pipeline", .timeLimit(.minutes(5)))
struct HostileInputPipelineTests {
    private typealias Queue = JobPayload.Queue

    // MARK: - Races

    @Test("purge racing an aggregation loses no text")
    func purgeDuringAggregation() async throws {
        let harness = PipelineHarness { $0.logs.purge = true }
        let job = JobID(501)
        try await harness.process([Parts.text(job, 1, "early\n"), Parts.finalPart(job, 2)])
        #expect(await harness.archivedText(job) == "early\n")

        // A late part arrives; its aggregation reads the log while it still has content, and the
        // purge (due now on another worker) completes before the aggregation writes.
        try await harness.pipeline.enqueue([Parts.text(job, 3, "late\n", isFinal: true)])
        try await harness.runAll()
        let store = harness.store
        let purger = harness.pipeline.purger
        let logID = try #require(await harness.logID(job))
        await store.setAggregationHook { _ in
            await store.setAggregationHook(nil)
            let result = try? await purger.purge(logID: logID)
            #expect(result == .purged)
        }
        harness.advancePastPurgeDelay()
        try await harness.run(Queue.aggregate)
        try await harness.runAll()
        harness.advancePastAggregationDelay()
        try await harness.runAll()

        let archived = await harness.archivedText(job) ?? ""
        let content = await harness.log(job)?.content ?? ""
        #expect(archived.contains("early\n") || content.contains("early\n"), "the archived text was lost")
        #expect(archived == "early\nlate\n")
    }

    // MARK: - Property: random bytes split into parts

    @Test("random byte splits aggregate like one decode", arguments: Array(1...40))
    func randomSplits(seed: Int) async throws {
        var random = HostileInputRandom(seed: UInt64(seed))
        let harness = PipelineHarness()
        let job = JobID(Int64(1000 + seed))
        let bytes = Self.hostileBytes(count: Int(random.next() % 3000), random: &random)

        var offsets = Set<Int>()
        let cuts = bytes.isEmpty ? 0 : Int(random.next() % 40)
        for _ in 0..<cuts { offsets.insert(Int(random.next() % UInt64(bytes.count + 1))) }
        let bounds = [0] + offsets.sorted() + [bytes.count]
        var parts: [RawLogPart] = []
        for index in 0..<(bounds.count - 1) {
            parts.append(Parts.bytes(job, index + 1, Array(bytes[bounds[index]..<bounds[index + 1]])))
        }
        parts.append(Parts.finalPart(job, bounds.count))
        // Duplicates, then a random order, in random batches.
        for _ in 0..<Int(random.next() % 5) {
            parts.append(parts[Int(random.next() % UInt64(parts.count))])
        }
        parts.shuffle(using: &random)
        var start = 0
        while start < parts.count {
            let end = min(parts.count, start + 1 + Int(random.next() % 6))
            try await harness.pipeline.enqueue(Array(parts[start..<end]))
            start = end
        }
        try await harness.runThroughArchiving()

        let expected = Array(String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self).utf8)
        let archived = await harness.archivedBytes(job) ?? []
        #expect(firstDifference(archived, expected) == nil, "seed \(seed), \(bytes.count) bytes")
        #expect(await harness.partRows(job).isEmpty)
        #expect(harness.counter("travis_logs_parts_dropped_total", ["reason": "invalid_base64"]) == 0)
    }

    /// Returns bytes weighted towards the hard cases: UTF-8 fragments, invalid lead bytes,
    /// overlong forms, encoded surrogates, 5- and 6-byte forms, lone continuation bytes and NULs.
    static func hostileBytes(count: Int, random: inout HostileInputRandom) -> [UInt8] {
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("é".utf8), Array("€".utf8), Array("😀".utf8), Array("\r\n".utf8),
            [0x00], [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF8, 0x88, 0x80, 0x80, 0x80],
            [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], [0xF5], [0xFE], [0xFF], [0xF4, 0x90, 0x80, 0x80],
            [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3], [0x1B, 0x5B, 0x33, 0x32, 0x6D],
        ]
        var bytes: [UInt8] = []
        while bytes.count < count {
            if random.next() % 4 == 0 {
                bytes.append(UInt8(truncatingIfNeeded: random.next()))
            } else {
                bytes.append(contentsOf: pieces[Int(random.next() % UInt64(pieces.count))])
            }
        }
        return bytes
    }

    // MARK: - Private-use scalars

    @Test("private-use scalars survive aggregation", arguments: [0x10FF80, 0x10FFC3, 0x10FFFD, 0x10FFFF])
    func privateUseScalars(value: UInt32) async throws {
        let harness = PipelineHarness()
        let job = JobID(601)
        let scalar = String(Unicode.Scalar(value)!)
        try await harness.process([Parts.text(job, 1, "x\(scalar)y"), Parts.finalPart(job, 2)])
        let archived = await harness.archivedText(job) ?? ""
        #expect(archived == "x\(scalar)y", "archived: \(archived.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test("private-use scalar at a part edge")
    func privateUseScalarAtEdge() async throws {
        let harness = PipelineHarness()
        let job = JobID(602)
        // A part that ends with a genuine U+10FFC3 and a part that starts with one.
        try await harness.process([
            Parts.text(job, 1, "a\u{10FFC3}"), Parts.text(job, 2, "\u{10FF80}b"), Parts.finalPart(job, 3),
        ])
        // Documented limit: at a part's edge these scalars cannot be told from escaped bytes, so
        // they become U+FFFD, and nothing else changes.
        let archived = await harness.archivedText(job) ?? ""
        #expect(
            archived == "a\u{FFFD}\u{FFFD}b",
            "archived: \(archived.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    // MARK: - Hostile JSON arguments

    @Test("job id beyond PostgreSQL integer is dropped")
    func jobIDOutOfIntegerRange() throws {
        for id: JSONValue in [2_147_483_648, "2147483648", .integer(Int64.max)] {
            let parsed = RawLogPart.parts(fromArgument: Parts.json(id: id))
            guard case .failure(let error) = parsed.first else {
                Issue.record("job id \(id.jsonString()) was accepted; logs.job_id is a PostgreSQL integer")
                continue
            }
            #expect(error.reason == "invalid_job_id")
        }
    }

    @Test("non-string encoding is rejected", arguments: [JSONValue.integer(1), .bool(true), .array(["base64"])])
    func encodingOfOtherTypes(encoding: JSONValue) {
        let part: JSONValue = ["id": 1, "log": "aGVsbG8=", "number": 1, "encoding": encoding]
        let parsed = RawLogPart.parts(fromArgument: part)
        guard case .failure(let error) = parsed.first else {
            Issue.record("encoding \(encoding.jsonString()) was taken as no encoding; the base64 is stored as text")
            return
        }
        #expect(error.reason == "unknown_encoding")
    }

    @Test("hostile part arguments neither crash nor leak")
    func hostileArguments() async throws {
        let harness = PipelineHarness()
        var deep: JSONValue = 1
        for _ in 0..<500 { deep = .array([deep]) }
        let valid: [JSONValue] = [
            Parts.json(id: 701, log: "a", number: 1),
            Parts.json(id: "702", log: "b", number: "1"),
            Parts.json(id: 703, log: "c", number: 2_147_483_647),
            Parts.json(id: 704, log: "d", number: "last", final: true),
            ["id": 705, "number": 1],
            ["id": 706, "log": .null, "number": 0, "meta": deep],
            // 1.0 comes back from the queue's JSON as the integer 1, so it is a valid job id.
            Parts.json(id: .double(1.0)),
        ]
        let invalid: [JSONValue] = [
            Parts.json(id: -1), Parts.json(id: 0), Parts.json(id: "1e3"), Parts.json(id: deep),
            Parts.json(id: "99999999999999999999999"), Parts.json(id: .double(1e300)), Parts.json(id: .null),
            Parts.json(id: 710, number: 2_147_483_648), Parts.json(id: 710, number: -1),
            Parts.json(id: 710, number: "-1"), Parts.json(id: 710, number: .double(1.5)),
            Parts.json(id: 710, number: .double(1e300)),
            Parts.json(id: 710, number: .null), Parts.json(id: 710, number: deep), Parts.json(id: 710, number: "x"),
            ["id": 710, "log": 5, "number": 1], ["id": 710, "log": ["a"], "number": 1],
            ["id": 710, "log": ["k": "v"], "number": 1], ["id": 710, "log": "a", "number": 1, "encoding": "hex"],
            ["id": 710, "log": "!!!!", "number": 1, "encoding": "base64"],
            ["id": 710, "log": "QQ=QQ", "number": 1, "encoding": "base64"],
            ["id": 710, "log": "Q", "number": 1, "encoding": "base64"], 5, "x", .null, deep,
        ]
        try await harness.pushLogPartsJob(valid + invalid)
        try await harness.runAll()

        for id in [1] + Array(701...706) {
            #expect(await harness.partRows(JobID(Int64(id))).count == 1, "job \(id)")
        }
        let stored = await harness.store.allParts()
        let jobsByLog = await Dictionary(
            uniqueKeysWithValues: stored.map(\.logID).asyncMap { ($0, await harness.store.log(id: $0)?.jobID) })
        #expect(stored.count == valid.count, "stored: \(stored.map { "\(jobsByLog[$0.logID]!!) #\($0.number)" })")
        let dropped = [
            "not_an_object", "invalid_job_id", "invalid_number", "invalid_log", "unknown_encoding", "invalid_base64",
            "missing_job_id",
        ].map { ($0, harness.counter("travis_logs_parts_dropped_total", ["reason": $0])) }
        #expect(dropped.map(\.1).reduce(0, +) == invalid.count, "dropped: \(dropped)")
    }

    // MARK: - Size

    @Test("10 MB part and 3000 parts of one job", .timeLimit(.minutes(5)))
    func largeInput() async throws {
        let harness = PipelineHarness()
        let big = JobID(801)
        var random = HostileInputRandom(seed: 7)
        let bytes = (0..<10_000_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try await harness.pipeline.enqueue([Parts.bytes(big, 1, bytes), Parts.finalPart(big, 2)])
        let many = JobID(802)
        let text = (0..<3000).map { "line \($0) é😀\n" }.joined()
        try await harness.pipeline.enqueue(WorkerSplit.base64Parts(of: Array(text.utf8), jobID: many, size: 17))
        try await harness.runThroughArchiving()

        let expected = Array(String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self).utf8)
        #expect(firstDifference(await harness.archivedBytes(big) ?? [], expected) == nil)
        #expect(await harness.archivedText(many) == text)
    }

    @Test("one batch for 3000 jobs")
    func manyJobsInOneBatch() async throws {
        let harness = PipelineHarness()
        let parts = (1...3000).map { Parts.text(JobID(Int64(10_000 + $0)), 1, "job \($0)\n", isFinal: true) }
        try await harness.pipeline.enqueue(parts)
        try await harness.runThroughArchiving()
        #expect(await harness.store.logCount() == 3000)
        #expect(await harness.archivedText(JobID(10_001)) == "job 1\n")
        #expect(await harness.archivedText(JobID(13_000)) == "job 3000\n")
    }
}

/// A seeded generator (HostileInputRandom), so a failing seed can be replayed.
struct HostileInputRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var result: [T] = []
        for element in self { result.append(await transform(element)) }
        return result
    }
}
