import Foundation
import LogsCore
import LogsStorage
import TestSupport
import Testing

@Suite(
    "S3 archive on SeaweedFS",
    .enabled(if: S3TestBucket.isAvailable, "TRAVIS_S3_ENDPOINT or LOGS_TEST_PYTHON is not set")
)
struct S3ArchiveTests {
    /// Log text with the bytes a real log has: ANSI colours, carriage returns and multi-byte UTF-8.
    static let logText = "$ make\r\n\u{1B}[32;1mok\u{1B}[0m \u{2713} caf\u{E9}\r\ntravis_fold:end:install\n"

    @Test("store, objectInfo and content round trip")
    func roundTrip() async throws {
        try await S3TestBucket.with { bucket in
            let archive = try S3Archive(settings: bucket.settings, logger: Logger(label: "test"))
            let jobID = JobID(4_201)
            let content = Data(Self.logText.utf8)

            try await archive.store(content, jobID: jobID)
            let info = try #require(try await archive.objectInfo(jobID: jobID))
            let stored = try await archive.content(jobID: jobID)

            #expect(info.contentLength == content.count)
            #expect(info.md5 == MD5.digest(of: content))
            #expect(stored == content)
            #expect(try await bucket.contentType(ofKey: "jobs/4201/log.txt") == "text/plain")
        }
    }

    @Test("store replaces an earlier object")
    func storeReplaces() async throws {
        try await S3TestBucket.with { bucket in
            let archive = try S3Archive(settings: bucket.settings, logger: Logger(label: "test"))
            let jobID = JobID(7)

            try await archive.store(Data("first version, longer".utf8), jobID: jobID)
            try await archive.store(Data("second".utf8), jobID: jobID)

            #expect(try await archive.content(jobID: jobID) == Data("second".utf8))
            #expect(try await archive.objectInfo(jobID: jobID)?.contentLength == 6)
        }
    }

    @Test("missing object is nil")
    func missingObject() async throws {
        try await S3TestBucket.with { bucket in
            let archive = try S3Archive(settings: bucket.settings, logger: Logger(label: "test"))

            #expect(try await archive.objectInfo(jobID: JobID(404)) == nil)
            #expect(try await archive.content(jobID: JobID(404)) == nil)
        }
    }

    @Test("canned ACL is accepted")
    func cannedACL() async throws {
        try await S3TestBucket.with { bucket in
            var settings = bucket.settings
            settings.acl = "public_read"
            let archive = try S3Archive(settings: settings, logger: Logger(label: "test"))

            try await archive.store(Data("public".utf8), jobID: JobID(11))

            #expect(try await archive.objectInfo(jobID: JobID(11))?.contentLength == 6)
        }
    }

    @Test("wrong secret fails without retry")
    func wrongSecret() async throws {
        try await S3TestBucket.with { bucket in
            var settings = bucket.settings
            settings.secretAccessKey += "-wrong"
            let recorder = RecordingLogHandler()
            let archive = try S3Archive(settings: settings, logger: Logger(label: "test") { _ in recorder })

            let error = try await #require(throws: S3Error.self) {
                try await archive.store(Data("x".utf8), jobID: JobID(1))
            }

            #expect(error.httpStatus == 403)
            #expect(error.serviceCode == "SignatureDoesNotMatch")
            #expect(error.description.contains("SignatureDoesNotMatch"))
            #expect(!error.description.contains(settings.secretAccessKey))
            #expect(!error.isTransient)
            #expect(recorder.entries.isEmpty, "a 403 was retried")
        }
    }

    @Test("Archiver detects a truncated object")
    func archiverDetectsTruncation() async throws {
        try await S3TestBucket.with { bucket in
            let s3 = try S3Archive(settings: bucket.settings, logger: Logger(label: "test"))
            let archive = TruncatingArchive(base: s3)
            let harness = await ArchiverHarness(archive: archive, content: Self.logText)

            let error = await #expect(throws: LogsError.self) {
                _ = try await harness.archiver.archive(logID: harness.logID)
            }

            #expect(error?.code == .archiveVerificationFailed)
            #expect(await harness.store.log(id: harness.logID)?.isArchiveVerified != true)
            #expect(await harness.queue.scheduledJobs().isEmpty)
            let info = try await s3.objectInfo(jobID: harness.jobID)
            #expect(info?.contentLength == Data(Self.logText.utf8).count - 1)
        }
    }

    @Test("Archiver verifies a good upload")
    func archiverVerifies() async throws {
        try await S3TestBucket.with { bucket in
            let s3 = try S3Archive(settings: bucket.settings, logger: Logger(label: "test"))
            let harness = await ArchiverHarness(archive: s3, content: Self.logText)

            let result = try await harness.archiver.archive(logID: harness.logID)

            #expect(result == .archived(bytes: Data(Self.logText.utf8).count))
            #expect(await harness.store.log(id: harness.logID)?.isArchiveVerified == true)
            #expect(await harness.queue.scheduledJobs().count == 1)
        }
    }

    @Test("Purger requeues when S3 holds other bytes")
    func purgerRequeuesOnMismatch() async throws {
        try await S3TestBucket.with { bucket in
            let s3 = try S3Archive(settings: bucket.settings, logger: Logger(label: "test"))
            let harness = await ArchiverHarness(archive: s3, content: Self.logText)
            _ = try await harness.archiver.archive(logID: harness.logID)
            var changed = Array(Self.logText.utf8)
            changed[0] = UInt8(ascii: "#")
            try await bucket.putObject(key: ArchiveKey.key(for: harness.jobID), content: Data(changed))

            let result = try await harness.purger.purge(logID: harness.logID)

            #expect(result == .requeuedForArchiving)
            let log = try #require(await harness.store.log(id: harness.logID))
            #expect(log.content == Self.logText)
            #expect(log.isArchiveVerified != true)
            #expect(await harness.queue.jobs(in: "archive").count == 1)
        }
    }
}
