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
}
