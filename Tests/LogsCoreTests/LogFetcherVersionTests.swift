import Foundation
import LogsCore
import Testing

@Suite("Log fetcher row versions")
struct LogFetcherVersionTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    private static func makePipeline() -> Pipeline {
        Pipeline.inMemory(configuration: .defaults)
    }

    @Test("unchanged row reports unchanged")
    func unchangedRow() async throws {
        let pipeline = Self.makePipeline()
        _ = try await pipeline.store.setContent(
            [LogContentUpdate(jobID: JobID(7), content: "hello", removedBy: nil)], at: Self.now)

        let first = try await pipeline.fetcher.fetch(.jobID(JobID(7)), unlessVersion: nil)
        guard case .fetched(let log?, let version?) = first else {
            Issue.record("expected a log with a row version, got \(first)")
            return
        }
        #expect(log.content == "hello")
        let second = try await pipeline.fetcher.fetch(.jobID(JobID(7)), unlessVersion: version)
        guard case .unchanged = second else {
            Issue.record("expected unchanged, got \(second)")
            return
        }
    }

    @Test("changed row is read again")
    func changedRow() async throws {
        let pipeline = Self.makePipeline()
        _ = try await pipeline.store.setContent(
            [LogContentUpdate(jobID: JobID(7), content: "old", removedBy: nil)], at: Self.now)
        guard case .fetched(_, let oldVersion?) = try await pipeline.fetcher.fetch(.jobID(JobID(7)), unlessVersion: nil)
        else {
            Issue.record("expected a row version")
            return
        }
        _ = try await pipeline.store.setContent(
            [LogContentUpdate(jobID: JobID(7), content: "new", removedBy: nil)], at: Self.now)

        let result = try await pipeline.fetcher.fetch(.jobID(JobID(7)), unlessVersion: oldVersion)
        guard case .fetched(let log?, let newVersion?) = result else {
            Issue.record("expected the changed log with a row version, got \(result)")
            return
        }
        #expect(log.content == "new")
        #expect(newVersion != oldVersion)
    }

    @Test("unaggregated log has no version")
    func unaggregatedLog() async throws {
        let pipeline = Self.makePipeline()
        let logID = try await pipeline.store.findOrCreateLog(jobID: JobID(7), at: Self.now)
        try await pipeline.store.insertParts(
            [NewLogPart(logID: logID, number: 0, content: "part", isFinal: false)], at: Self.now)

        let result = try await pipeline.fetcher.fetch(.id(logID), unlessVersion: nil)
        guard case .fetched(let log?, let version) = result else {
            Issue.record("expected the log, got \(result)")
            return
        }
        #expect(log.content == "part")
        #expect(version == nil)
    }

    @Test("ignored job gets stand-in, not unchanged")
    func ignoredJob() async throws {
        let pipeline = Self.makePipeline()
        _ = try await pipeline.store.setContent(
            [LogContentUpdate(jobID: JobID(7), content: "hello", removedBy: nil)], at: Self.now)
        guard case .fetched(_, let version?) = try await pipeline.fetcher.fetch(.jobID(JobID(7)), unlessVersion: nil)
        else {
            Issue.record("expected a row version")
            return
        }
        await (pipeline.ignoredIDs as! InMemoryIgnoredIDs).ignore(jobID: JobID(7))

        let result = try await pipeline.fetcher.fetch(.jobID(JobID(7)), unlessVersion: version)
        guard case .fetched(let log?, let standInVersion) = result else {
            Issue.record("expected the stand-in, got \(result)")
            return
        }
        #expect(log.kind == .temporarilyUnavailable)
        #expect(standInVersion == nil)
    }

    @Test("missing log is nil without version")
    func missingLog() async throws {
        let pipeline = Self.makePipeline()
        let result = try await pipeline.fetcher.fetch(.jobID(JobID(404)), unlessVersion: nil)
        guard case .fetched(nil, nil) = result else {
            Issue.record("expected no log, got \(result)")
            return
        }
    }
}
