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
}
