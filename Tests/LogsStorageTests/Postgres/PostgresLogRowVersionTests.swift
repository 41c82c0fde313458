import Foundation
import LogsCore
import LogsStorage
import Testing

@Suite(
    "PostgreSQL log row versions", .enabled(if: PostgresTestEnvironment.isConfiguredOrCI, "DATABASE_URL is not set"))
struct PostgresLogRowVersionTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    @Test("missing log has no version")
    func missingLog() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-version-missing")
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let byID = try await store.logRowVersion(id: LogID(404))
            let byJobID = try await store.logRowVersion(jobID: JobID(404))
            #expect(byID == nil)
            #expect(byJobID == nil)
        }
    }

    @Test("version stays until the row changes")
    func versionFollowsRow() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-version-row")
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(7), at: Self.now)

            let created = try #require(try await store.logRowVersion(jobID: JobID(7)))
            #expect(created.logID == logID)
            let byID = try await store.logRowVersion(id: logID)
            let byJobID = try await store.logRowVersion(jobID: JobID(7))
            #expect(byID == created)
            #expect(byJobID == created)

            _ = try await store.setContent(
                [LogContentUpdate(jobID: JobID(7), content: "new content", removedBy: nil)], at: Self.now)
            let updated = try #require(try await store.logRowVersion(id: logID))
            #expect(updated != created)

            try await store.markArchiveVerified(logID: logID, at: Self.now)
            let verified = try #require(try await store.logRowVersion(id: logID))
            #expect(verified != updated)

            // A change from outside the store, such as the log scanner's, changes it too.
            _ = try await database.execute("UPDATE logs SET censored = true WHERE id = \(logID.rawValue)")
            let censored = try #require(try await store.logRowVersion(id: logID))
            #expect(censored != verified)
        }
    }

    @Test("concurrent lookups each get their row")
    func concurrentLookups() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-version-batch")
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            var logIDs: [Int64: LogID] = [:]
            for jobID in Int64(1001)...1020 {
                logIDs[jobID] = try await store.findOrCreateLog(jobID: JobID(jobID), at: Self.now)
            }
            let firstLogID = try #require(logIDs[1001])

            let results = try await withThrowingTaskGroup(of: (String, LogID?).self) { group in
                for jobID in Int64(1001)...1025 {
                    group.addTask { ("job \(jobID)", try await store.logRowVersion(jobID: JobID(jobID))?.logID) }
                }
                for logID in logIDs.values {
                    group.addTask { ("log \(logID.rawValue)", try await store.logRowVersion(id: logID)?.logID) }
                }
                // A job id equal to a log id must not find that log.
                group.addTask {
                    let version = try await store.logRowVersion(jobID: JobID(firstLogID.rawValue))
                    return ("job \(firstLogID.rawValue)", version?.logID)
                }
                var results: [String: LogID?] = [:]
                for try await (name, logID) in group { results[name] = logID }
                return results
            }

            for jobID in Int64(1001)...1020 {
                #expect(results["job \(jobID)"] == logIDs[jobID], "job \(jobID)")
            }
            for jobID in Int64(1021)...1025 {
                #expect(results["job \(jobID)"] == .some(nil), "job \(jobID) has no log")
            }
            for logID in logIDs.values {
                #expect(results["log \(logID.rawValue)"] == logID, "log \(logID.rawValue)")
            }
            #expect(results["job \(firstLogID.rawValue)"] == .some(nil))
        }
    }

    /// Reads a version through the completion handler, as the HTTP server's kept-body path does.
    private static func readWithCompletion(_ store: PostgresPartStore, _ lookup: LogFetcher.Lookup) async throws
        -> LogRowVersion?
    {
        try await withCheckedThrowingContinuation { continuation in
            store.readLogRowVersion(lookup) { result in continuation.resume(with: result) }
        }
    }

    @Test("completion read sees a change from another connection")
    func completionReadSeesChange() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-version-completion")
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(8), at: Self.now)

            let first = try #require(try await Self.readWithCompletion(store, .jobID(JobID(8))))
            #expect(first.logID == logID)
            #expect(try await Self.readWithCompletion(store, .id(logID)) == first)
            #expect(try await Self.readWithCompletion(store, .jobID(JobID(404))) == nil)

            _ = try await database.execute("UPDATE logs SET content = 'elsewhere' WHERE id = \(logID.rawValue)")
            let changed = try #require(try await Self.readWithCompletion(store, .jobID(JobID(8))))
            #expect(changed != first)
            #expect(try await store.logRowVersion(jobID: JobID(8)) == changed)
        }
    }

    @Test("concurrent completion reads each get their row")
    func concurrentCompletionReads() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-version-completions")
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            var logIDs: [Int64: LogID] = [:]
            for jobID in Int64(2001)...2010 {
                logIDs[jobID] = try await store.findOrCreateLog(jobID: JobID(jobID), at: Self.now)
            }

            let results = try await withThrowingTaskGroup(of: (Int64, LogID?).self) { group in
                for round in 0..<5 {
                    for jobID in Int64(2001)...2012 {
                        group.addTask {
                            if round > 0 { try await Task.sleep(for: .milliseconds(round)) }
                            return (jobID, try await Self.readWithCompletion(store, .jobID(JobID(jobID)))?.logID)
                        }
                    }
                }
                var results: [(Int64, LogID?)] = []
                for try await result in group { results.append(result) }
                return results
            }

            #expect(results.count == 60)
            for (jobID, logID) in results {
                #expect(logID == logIDs[jobID], "job \(jobID)")
            }
        }
    }

    @Test("completion read reports a closed pool")
    func completionReadAfterClose() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(applicationName: "travis-logs-version-closed")
            let store = PostgresPartStore(client: client)
            await client.close()
            await #expect(throws: PostgresError.self) {
                try await Self.readWithCompletion(store, .jobID(JobID(1)))
            }
        }
    }

    @Test("busy version reads leave the pool to others")
    func busyReadsShareThePool() async throws {
        try await withDatabase(.full) { database in
            let client = database.makeClient(
                applicationName: "travis-logs-version-sharing", maximumConnections: 1,
                connectionWaitTimeout: .seconds(1))
            defer { Task { await client.close() } }
            let store = PostgresPartStore(client: client)
            let logID = try await store.findOrCreateLog(jobID: JobID(9), at: Self.now)

            // Eight readers, each reading again as soon as it has a version, keep the reader's
            // only connection busy for 3 seconds.
            let reads = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 1...8 {
                        group.addTask {
                            var count = 0
                            let end = ContinuousClock.now + .seconds(3)
                            while ContinuousClock.now < end {
                                _ = try await Self.readWithCompletion(store, .id(logID))
                                count += 1
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            for _ in 1...3 {
                #expect(try await store.logID(forJobID: JobID(9)) == logID)
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(try await reads.value > 10)
        }
    }
}
