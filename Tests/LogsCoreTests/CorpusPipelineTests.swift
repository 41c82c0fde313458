import Foundation
import LogsCore
import Testing

/// Real CI job logs sent through the whole in-memory pipeline, split the way workers split them.
///
/// The logs are read from the directory named by `LOGS_CORPUS_DIR`, which `script/test` sets when
/// the corpus sits beside the repository, so the files are never copied into the repository.
/// Without the directory the test is skipped, except under `CI=true`, where it fails.
@Suite("Corpus through the pipeline")
struct CorpusPipelineTests {
    @Test(
        "corpus logs archive byte for byte",
        .enabled(if: CorpusLocation.shouldRun, "set LOGS_CORPUS_DIR to the log corpus directory to run this test"),
        .timeLimit(.minutes(2)))
    func corpusThroughPipeline() async throws {
        guard let directory = CorpusLocation.directory else {
            let setting = CorpusLocation.rawValue.map { "\"\($0)\", which is not a directory" } ?? "unset"
            Issue.record("LOGS_CORPUS_DIR is \(setting); CI=true requires the log corpus, so set it to the corpus path")
            return
        }
        let files = try CorpusLocation.logFiles(in: directory)
        try #require(!files.isEmpty, "no *.log files in \(directory.path)")

        let harness = PipelineHarness { $0.logs.purge = true }
        var generator = SplitMix64(seed: 20_260_412)
        var logs: [CorpusLog] = []
        for (index, file) in files.enumerated() {
            let bytes = Array(try Data(contentsOf: file))
            let log = CorpusLog(
                name: file.lastPathComponent, jobID: JobID(Int64(5_000 + index)), bytes: bytes,
                sendsBase64: index.isMultiple(of: 2))
            logs.append(log)
        }

        try await send(logs, through: harness, using: &generator)
        try await harness.runAll()
        harness.advancePastAggregationDelay()
        try await harness.runAll()

        for log in logs {
            let archived = await harness.archivedBytes(log.jobID) ?? []
            let offset = firstDifference(archived, log.expected)
            #expect(
                offset == nil,
                "\(log.name): archived \(archived.count) bytes, expected \(log.expected.count); first difference at \(offset ?? -1)"
            )
            let content = await harness.log(log.jobID)?.content
            #expect(content.map { Array($0.utf8) } == log.expected, "\(log.name): content before purging")
        }
        #expect(await harness.store.allParts().isEmpty)

        harness.advancePastPurgeDelay()
        try await harness.runAll()
        for log in logs {
            let stored = await harness.log(log.jobID)
            #expect(stored?.content == nil, "\(log.name): content after purging")
            #expect(stored?.purgedAt != nil, "\(log.name): purged_at")
            #expect(await harness.archivedBytes(log.jobID) == log.expected, "\(log.name): archive after purging")
        }
    }

    /// Queues every log's parts shuffled and with some repeated, one batch per log in turn, as
    /// drains serving many jobs at once would, and stores each round.
    private func send(
        _ logs: [CorpusLog], through harness: PipelineHarness, using generator: inout SplitMix64
    ) async throws {
        let batchSize = harness.configuration.logs.drainBatchSize
        var batchesByLog: [[[RawLogPart]]] = []
        for log in logs {
            var parts = log.parts
            for part in parts where Int.random(in: 0..<20, using: &generator) == 0 {
                parts.append(part)
            }
            parts.shuffle(using: &generator)
            let batches = stride(from: 0, to: parts.count, by: batchSize).map { start in
                Array(parts[start..<min(start + batchSize, parts.count)])
            }
            batchesByLog.append(batches)
        }

        let rounds = batchesByLog.map(\.count).max() ?? 0
        for round in 0..<rounds {
            for batches in batchesByLog where round < batches.count {
                try await harness.pipeline.enqueue(batches[round])
            }
            try await harness.runAll()
        }
    }
}

/// One corpus file, the parts a worker would send for it, and the bytes its archive must hold.
private struct CorpusLog {
    var name: String
    var jobID: JobID
    var parts: [RawLogPart]
    var expected: [UInt8]

    init(name: String, jobID: JobID, bytes: [UInt8], sendsBase64: Bool) {
        self.name = name
        self.jobID = jobID
        if sendsBase64 {
            // Cut at byte offsets regardless of UTF-8, as workers do; NUL bytes are removed and
            // invalid UTF-8 is replaced by U+FFFD.
            parts = WorkerSplit.base64Parts(of: bytes, jobID: jobID)
            expected = Array(String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self).utf8)
        } else {
            // A JSON string holds only Unicode text, so bytes cut inside a character or bytes that
            // are not UTF-8 cannot be sent as plain text at all. The plain-text half therefore
            // sends the file's decoded text cut at scalar boundaries, and expects that text back
            // without its NUL characters. For valid UTF-8, as every corpus file is, both halves
            // expect the same bytes.
            let text = String(decoding: bytes, as: UTF8.self)
            parts = WorkerSplit.textParts(of: text, jobID: jobID)
            expected = text.utf8.filter { $0 != 0 }
        }
    }
}

/// Where the corpus is, from `LOGS_CORPUS_DIR`.
private enum CorpusLocation {
    static let rawValue = ProcessInfo.processInfo.environment["LOGS_CORPUS_DIR"].flatMap { $0.isEmpty ? nil : $0 }

    static var directory: URL? {
        guard let rawValue else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rawValue, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return URL(fileURLWithPath: rawValue, isDirectory: true)
    }

    static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Runs with the corpus, and under CI without it so that the missing corpus is reported.
    static var shouldRun: Bool {
        directory != nil || isCI
    }

    static func logFiles(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "log" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// A seeded random number generator (SplitMix64), so shuffles and repeats are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
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
