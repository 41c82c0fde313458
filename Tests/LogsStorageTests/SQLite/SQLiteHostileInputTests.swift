import Foundation
import LogsCore
import LogsStorage
import Testing

/// Hostile files and interleavings for the SQLite store.
@Suite("SQLite store under hostile input", .timeLimit(.minutes(2)))
struct SQLiteHostileInputTests {
    private let start = Date(timeIntervalSince1970: 1_780_000_000)

    @Test("writer dying mid-transaction loses only its own rows")
    func writerDiesMidTransaction() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let dying = try await SQLitePartStore(path: file.path, busyTimeout: .milliseconds(200))
        let survivor = try await SQLitePartStore(path: file.path, busyTimeout: .milliseconds(200))
        let logID = try await survivor.findOrCreateLog(jobID: JobID(1), at: start)

        // The dying writer opens a transaction, inserts, and never commits.
        try await dying.connection.run { connection in
            try connection.execute("BEGIN IMMEDIATE", name: "begin")
            try connection.execute(
                "INSERT INTO log_parts (log_id, content, number, final, created_at) "
                    + "VALUES (\(logID.rawValue), 'uncommitted', 9, 0, '2026-01-01 00:00:00')",
                name: "insert")
        }
        let part = NewLogPart(logID: logID, number: 1, content: "kept", isFinal: true)
        await #expect(throws: SQLiteError.self) {
            try await survivor.insertParts([part], at: start)
        }
        #expect(try await survivor.logParts(logID: logID, query: LogPartsQuery()).isEmpty)

        await dying.close()
        try await survivor.insertParts([part], at: start)
        let parts = try await survivor.logParts(logID: logID, query: LogPartsQuery())
        #expect(parts.map(\.content) == ["kept"])
        let outcome = try await survivor.aggregate(logID: logID, archivedContent: nil, at: start)
        #expect(outcome?.log.content == "kept")
        await survivor.close()
    }

    @Test("garbage file fails to open without crashing")
    func corruptedFile() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        try Data(repeating: 0xA5, count: 8192).write(to: URL(fileURLWithPath: file.path))
        await #expect(throws: SQLiteError.self) {
            let store = try await SQLitePartStore(path: file.path)
            await store.close()
        }
    }

    @Test("truncated file reports an error")
    func truncatedFile() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        for job in 1...200 {
            let logID = try await store.findOrCreateLog(jobID: JobID(Int64(job)), at: start)
            let part = NewLogPart(
                logID: logID, number: 1, content: String(repeating: "x", count: 2000), isFinal: true)
            try await store.insertParts([part], at: start)
        }
        await store.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file.path))
        try handle.truncate(atOffset: 4096 * 3)
        try handle.close()

        do {
            let reopened = try await SQLitePartStore(path: file.path)
            defer { Task { await reopened.close() } }
            _ = try await reopened.aggregatableLogIDs(finalBefore: start, anyBefore: start, limit: 1000)
            _ = try await reopened.logParts(logID: LogID(150), query: LogPartsQuery())
        } catch is SQLiteError {
            // An error is the expected outcome; a crash is not.
        }
    }

    @Test("path with spaces and unicode")
    func unusualPath() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sqlite dir é 😀 \(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("logs ü 日本.sqlite3").path

        let store = try await SQLitePartStore(path: path)
        let logID = try await store.findOrCreateLog(jobID: JobID(3), at: start)
        await store.close()
        #expect(FileManager.default.fileExists(atPath: path))
        let reopened = try await SQLitePartStore(path: path)
        #expect(try await reopened.logID(forJobID: JobID(3)) == logID)
        await reopened.close()
    }

    @Test("escaped part edges round-trip")
    func escapedEdgesRoundTrip() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let logID = try await store.findOrCreateLog(jobID: JobID(4), at: start)
        let first = PartContent.storedText(fromBytes: Array("a".utf8) + [0xF0, 0x9F])
        let second = PartContent.storedText(fromBytes: [0x98, 0x80] + Array("b".utf8))
        try await store.insertParts(
            [
                NewLogPart(logID: logID, number: 2, content: second, isFinal: true),
                NewLogPart(logID: logID, number: 1, content: first, isFinal: false),
            ], at: start)
        let outcome = try await store.aggregate(logID: logID, archivedContent: nil, at: start)
        #expect(outcome?.log.content == "a😀b")
        await store.close()
    }

    @Test("job id beyond 32 bits round-trips")
    func largeJobID() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let job = JobID(Int64(Int32.max) + 1)
        let logID = try await store.findOrCreateLog(jobID: job, at: start)
        #expect(try await store.log(id: logID)?.jobID == job)
        await store.close()
    }
}

extension SQLiteHostileInputTests {
    @Test("purged log needs its archived text")
    func aggregatePurgedLogWithoutArchive() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let logID = try await store.findOrCreateLog(jobID: JobID(5), at: start)
        try await store.insertParts([NewLogPart(logID: logID, number: 1, content: "early\n", isFinal: true)], at: start)
        _ = try await store.aggregate(logID: logID, archivedContent: nil, at: start)
        try await store.markArchiveVerified(logID: logID, at: start)
        #expect(
            try await store.purge(logID: logID, expectedContentMD5: MD5.hexDigest(of: Array("early\n".utf8)), at: start)
        )

        // The aggregator read the log before the purge, so it passes no archived text.
        try await store.insertParts([NewLogPart(logID: logID, number: 2, content: "late\n", isFinal: true)], at: start)
        await #expect {
            _ = try await store.aggregate(logID: logID, archivedContent: nil, at: start)
        } throws: { error in
            (error as? LogsError)?.code == .archivedContentRequired
        }
        let log = try #require(try await store.log(id: logID))
        #expect(log.content == nil)
        #expect(log.purgedAt != nil)
        #expect(try await store.logParts(logID: logID, query: LogPartsQuery()).count == 1)

        let outcome = try #require(try await store.aggregate(logID: logID, archivedContent: "early\n", at: start))
        #expect(outcome.log.content == "early\nlate\n")
        #expect(outcome.log.purgedAt == nil)
        await store.close()
    }
}
