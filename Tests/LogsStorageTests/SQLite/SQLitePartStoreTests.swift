import Foundation
import LogsCore
import LogsStorage
import Testing

@Suite("SQLite part store")
struct SQLitePartStoreTests {
    private let start = Date(timeIntervalSince1970: 1_780_000_000)

    @Test("reopened file keeps logs and parts")
    func reopenKeepsData() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }

        let first = try await SQLitePartStore(path: file.path)
        let logID = try await first.findOrCreateLog(jobID: JobID(5), at: start)
        let part = NewLogPart(logID: logID, number: 1, content: "before restart\n", isFinal: true)
        try await first.insertParts([part], at: start)
        _ = try await first.setContent([LogContentUpdate(jobID: JobID(6), content: "done")], at: start)
        await first.close()

        let second = try await SQLitePartStore(path: file.path)
        #expect(try await second.logID(forJobID: JobID(5)) == logID)
        let parts = try await second.logParts(logID: logID, query: LogPartsQuery())
        #expect(parts.map(\.content) == ["before restart\n"])
        #expect(parts.first?.isFinal == true)
        #expect(try await second.log(jobID: JobID(6))?.content == "done")
        let outcome = try await second.aggregate(logID: logID, archivedContent: nil, at: start)
        #expect(outcome?.log.content == "before restart\n")
        await second.close()
    }

    @Test("concurrent stores on one file make one log per job")
    func concurrentStoresMakeOneLogPerJob() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        var stores: [SQLitePartStore] = []
        for _ in 0..<4 {
            stores.append(try await SQLitePartStore(path: file.path))
        }
        let jobs = (1...10).map { JobID(Int64($0)) }

        let pairs = try await withThrowingTaskGroup(of: (JobID, LogID).self) { group in
            for store in stores {
                for job in jobs {
                    group.addTask {
                        let id = try await store.findOrCreateLog(jobID: job, at: start)
                        let part = NewLogPart(logID: id, number: 1, content: "x", isFinal: false)
                        try await store.insertParts([part], at: start)
                        return (job, id)
                    }
                }
            }
            return try await group.reduce(into: [(JobID, LogID)]()) { $0.append($1) }
        }

        let idsByJob = Dictionary(grouping: pairs, by: \.0).mapValues { Set($0.map(\.1)) }
        #expect(idsByJob.count == jobs.count)
        #expect(idsByJob.values.allSatisfy { $0.count == 1 })
        let rows = try await stores[0].connection.run { try $0.query(Self.logCount) }
        #expect(try rows.first?.integer("count") == Int64(jobs.count))
        for (job, ids) in idsByJob {
            let parts = try await stores[1].logParts(logID: try #require(ids.first), query: LogPartsQuery())
            #expect(parts.count == stores.count, "job \(job)")
        }
        for store in stores {
            await store.close()
        }
    }

    @Test("aggregation beside a writer loses no part")
    func aggregationBesideWriterLosesNoPart() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let writer = try await SQLitePartStore(path: file.path)
        let aggregator = try await SQLitePartStore(path: file.path)
        let logID = try await writer.findOrCreateLog(jobID: JobID(1), at: start)
        let numbers = 0..<200

        async let written: Void = {
            for number in numbers {
                let part = NewLogPart(logID: logID, number: number, content: "\(number)\n", isFinal: false)
                try await writer.insertParts([part], at: start)
            }
        }()
        for _ in 0..<20 {
            _ = try await aggregator.aggregate(logID: logID, archivedContent: nil, at: start)
        }
        try await written
        let outcome = try await aggregator.aggregate(logID: logID, archivedContent: nil, at: start)

        let lines = outcome?.log.content?.split(separator: "\n").compactMap { Int($0) } ?? []
        #expect(lines.sorted() == Array(numbers))
        #expect(try await writer.logParts(logID: logID, query: LogPartsQuery()).isEmpty)
        await writer.close()
        await aggregator.close()
    }

    @Test("aggregation writes scan tracker row")
    func aggregationWritesScanTracker() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let logID = try await store.findOrCreateLog(jobID: JobID(1), at: start)
        try await store.insertParts([NewLogPart(logID: logID, number: 0, content: "a", isFinal: true)], at: start)
        _ = try await store.aggregate(logID: logID, archivedContent: nil, at: start)
        let rows = try await store.connection.run {
            try $0.query(SQLiteStatement(name: "tracker", sql: "SELECT log_id, scan_status FROM scan_tracker"))
        }
        #expect(rows.count == 1)
        #expect(try rows.first?.integer("log_id") == logID.rawValue)
        #expect(try rows.first?.text("scan_status") == "ready_for_scan")
        await store.close()
    }

    @Test("file uses WAL and records its schema version")
    func walAndSchemaVersion() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let mode = try await store.connection.run {
            try $0.query(SQLiteStatement(name: "mode", sql: "PRAGMA journal_mode"))
        }
        #expect(try mode.first?.text("journal_mode") == "wal")
        let version = try await store.connection.run {
            try $0.query(SQLiteStatement(name: "version", sql: "PRAGMA user_version"))
        }
        #expect(try version.first?.integer("user_version") == 1)
        await store.close()
    }

    @Test("file from a newer schema is rejected")
    func newerSchemaRejected() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        try await store.connection.run { try $0.execute("PRAGMA user_version = 99", name: "bump") }
        await store.close()

        let error = await #expect(throws: SQLiteError.self) { try await SQLitePartStore(path: file.path) }
        #expect(error?.code == .unsupportedSchema)
    }

    @Test("failed statement reports result code and message")
    func errorCarriesResultCode() async throws {
        let file = try SQLiteTestFile()
        defer { file.remove() }
        let store = try await SQLitePartStore(path: file.path)
        let error = await #expect(throws: SQLiteError.self) {
            try await store.connection.run {
                try $0.query(SQLiteStatement(name: "broken", sql: "SELECT * FROM no_such_table"))
            }
        }
        #expect(error?.code == .statementFailed)
        #expect(error?.resultCode == 1)
        #expect(error?.statementName == "broken")
        #expect(error?.message.contains("no such table") == true)
        await store.close()
    }

    @Test("unwritable path fails to open")
    func unwritablePathFails() async throws {
        let error = await #expect(throws: SQLiteError.self) {
            try await SQLitePartStore(path: "/nonexistent-folder-\(UUID().uuidString)/logs.sqlite3")
        }
        #expect(error?.code == .openFailed)
    }

    private static let logCount = SQLiteStatement(name: "count", sql: "SELECT count(*) AS count FROM logs")
}
