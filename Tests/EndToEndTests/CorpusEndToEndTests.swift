import Foundation
import LogsCore
import TestSupport
import Testing

/// Real CI logs through every process: the drain, the three workers, web and the sweeper, on
/// PostgreSQL, Redis, RabbitMQ and S3.
@Suite(
    "End to end: the corpus", .serialized,
    .enabled(if: EndToEndSystem.isAvailable, "the end-to-end tests need the services that script/test starts"))
struct CorpusEndToEndTests {
    @Test("corpus over AMQP and HTTP archived exactly", .timeLimit(.minutes(8)))
    func corpusOverAMQPAndHTTP() async throws {
        let files = try Corpus.files()
        try #require(!files.isEmpty, "no .log files in the corpus directory")
        try await EndToEndSystem.with { system in
            var overAMQP: [WorkerLog] = []
            var overHTTP: [(file: URL, log: WorkerLog)] = []
            for (index, file) in files.enumerated() {
                let bytes = Array(try Data(contentsOf: file))
                let base = system.jobIDBase + Int64(index) * 2
                overAMQP.append(WorkerLog(name: file.lastPathComponent, jobID: base, bytes: bytes))
                overHTTP.append(
                    (file, WorkerLog(name: file.lastPathComponent + " (HTTP)", jobID: base + 1, bytes: bytes)))
            }

            // Jobs run side by side, so their parts reach the broker interleaved, each job's in order.
            async let published: Void = system.publish(Self.interleaved(overAMQP.map(\.messages)))
            async let sent: [CommandResult] = Self.sendAll(overHTTP, through: system)
            try await published
            for (result, entry) in zip(try await sent, overHTTP) {
                #expect(
                    result.status == 0,
                    "send of \(entry.log.name) exited \(result.status): \(result.output.suffix(400))")
            }

            try await system.expectArchivedAndPurged(
                (overAMQP + overHTTP.map(\.log)).map { (jobID: $0.jobID, expected: $0.expected, name: $0.name) })

            // Each process logs its start with its version and settings, and no secret.
            let secrets = [
                system.token, try TestEnvironment.require("TRAVIS_S3_SECRET_ACCESS_KEY"),
                URLComponents(string: system.databaseURL)?.password ?? system.token,
            ]
            for process in system.processes.values {
                #expect(process.log.contains("starting"), "\(process.name) logged no start line")
                #expect(process.log.contains("version="), "\(process.name) logged no version")
                for secret in secrets {
                    #expect(!process.log.contains(secret), "\(process.name) logged a secret")
                }
            }
        }
    }

    /// Takes one message of each job in turn.
    static func interleaved(_ jobs: [[Data]]) -> [Data] {
        var result: [Data] = []
        let longest = jobs.map(\.count).max() ?? 0
        for index in 0..<longest {
            for messages in jobs where index < messages.count {
                result.append(messages[index])
            }
        }
        return result
    }

    /// Runs `travis-logs send` for each file, four at a time.
    static func sendAll(_ entries: [(file: URL, log: WorkerLog)], through system: EndToEndSystem) async throws
        -> [CommandResult]
    {
        var results = [CommandResult?](repeating: nil, count: entries.count)
        try await withThrowingTaskGroup(of: (Int, CommandResult).self) { group in
            var next = 0
            func startNext() {
                guard next < entries.count else { return }
                let index = next
                next += 1
                group.addTask {
                    (index, try await system.send(file: entries[index].file, jobID: entries[index].log.jobID))
                }
            }
            for _ in 0..<4 { startNext() }
            while let (index, result) = try await group.next() {
                results[index] = result
                startNext()
            }
        }
        return results.map { $0 ?? CommandResult(status: -1, output: "not run") }
    }
}
