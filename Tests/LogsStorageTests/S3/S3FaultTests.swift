import Foundation
import LogsCore
import LogsStorage
import TestSupport
import Testing

@Suite(
    "S3 archive faults through a proxy",
    .enabled(if: S3TestBucket.isAvailable, "TRAVIS_S3_ENDPOINT or LOGS_TEST_PYTHON is not set")
)
struct S3FaultTests {
    static let quickRetries = S3Archive.RetryPolicy(
        attempts: 4, initialBackoff: .milliseconds(20), maximumBackoff: .milliseconds(100))

    /// Runs `body` with an archive whose requests go through a fault proxy to a throwaway bucket.
    func withProxiedArchive(
        timeout: Duration = .seconds(10), _ body: (S3Archive, S3FaultProxy, RecordingLogHandler) async throws -> Void
    ) async throws {
        try await S3TestBucket.with { bucket in
            let proxy = try await S3FaultProxy(upstream: try #require(bucket.settings.endpoint))
            var settings = bucket.settings
            settings.endpoint = proxy.endpoint
            let recorder = RecordingLogHandler()
            let archive = try S3Archive(
                settings: settings, timeout: timeout, retryPolicy: Self.quickRetries,
                logger: Logger(label: "test") { _ in recorder })
            try await body(archive, proxy, recorder)
        }
    }

    @Test("transient status then success", arguments: [(500, "InternalError"), (503, "SlowDown"), (429, "SlowDown")])
    func transientStatusIsRetried(status: Int, code: String) async throws {
        try await withProxiedArchive { archive, proxy, recorder in
            try await proxy.inject(.status(status, code: code), count: 2)

            try await archive.store(Data("retried".utf8), jobID: JobID(1))

            let counts = try await proxy.counts()
            #expect(counts.requests == 3)
            #expect(counts.faulted == 2)
            #expect(try await archive.content(jobID: JobID(1)) == Data("retried".utf8))
            #expect(recorder.entries.filter { $0.message == "S3 request failed, retrying" }.count == 2)
        }
    }

    @Test("client error is not retried", arguments: [(403, "AccessDenied"), (400, "BadDigest"), (404, "NoSuchBucket")])
    func clientErrorIsNotRetried(status: Int, code: String) async throws {
        try await withProxiedArchive { archive, proxy, _ in
            try await proxy.inject(.status(status, code: code), count: 1)

            let error = try await #require(throws: S3Error.self) {
                try await archive.store(Data("x".utf8), jobID: JobID(2))
            }

            #expect(error.httpStatus == status)
            #expect(error.serviceCode == code)
            #expect(try await proxy.counts().requests == 1)
        }
    }

    @Test("retries stop after the last attempt")
    func retriesStop() async throws {
        try await withProxiedArchive { archive, proxy, _ in
            try await proxy.inject(.status(500, code: "InternalError"), count: 100)

            let error = try await #require(throws: S3Error.self) {
                try await archive.store(Data("x".utf8), jobID: JobID(3))
            }

            #expect(error.httpStatus == 500)
            #expect(error.isTransient)
            #expect(try await proxy.counts().requests == 4)
        }
    }

    @Test("timeout is retried")
    func timeoutIsRetried() async throws {
        try await withProxiedArchive(timeout: .milliseconds(700)) { archive, proxy, recorder in
            try await proxy.inject(.delay, count: 1)

            try await archive.store(Data("after a timeout".utf8), jobID: JobID(4))

            #expect(try await archive.content(jobID: JobID(4)) == Data("after a timeout".utf8))
            let retry = recorder.entries.first { $0.message == "S3 request failed, retrying" }
            #expect(retry?.metadata["error"]?.description.contains("curl code 28") == true)
        }
    }

    @Test("closed connection is retried")
    func closedConnectionIsRetried() async throws {
        try await withProxiedArchive { archive, proxy, _ in
            try await proxy.inject(.closeConnection, count: 1)

            let info = try await archive.objectInfo(jobID: JobID(5))

            #expect(info == nil)
            #expect(try await proxy.counts().faulted == 1)
            #expect(try await proxy.counts().requests == 2)
        }
    }

    @Test("log is not verified while S3 fails")
    func notVerifiedWhileFailing() async throws {
        try await withProxiedArchive { archive, proxy, _ in
            let harness = await ArchiverHarness(archive: archive, content: "log to archive\n")
            try await proxy.inject(.status(500, code: "InternalError"), count: 1_000)

            await #expect(throws: S3Error.self) {
                _ = try await harness.archiver.archive(logID: harness.logID)
            }

            #expect(await harness.store.log(id: harness.logID)?.isArchiveVerified != true)
            #expect(await harness.queue.scheduledJobs().isEmpty)

            try await proxy.inject(.status(500, code: "InternalError"), count: 0)
            let result = try await harness.archiver.archive(logID: harness.logID)

            #expect(result == .archived(bytes: 15))
            #expect(await harness.store.log(id: harness.logID)?.isArchiveVerified == true)
            #expect(await harness.queue.scheduledJobs().count == 1)
        }
    }
}
