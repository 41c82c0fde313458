import Foundation
import LogsCore
import LogsStorage
import Testing

@Suite("File archive")
struct FileArchiveTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("file-archive-" + UUID().uuidString)
    }

    @Test("store, objectInfo and content round trip")
    func roundTrip() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)
        let content = Data("line\r\n\u{1B}[31mred\u{1B}[0m caf\u{E9}\n".utf8)

        try await archive.store(content, jobID: JobID(42))
        let info = try #require(try await archive.objectInfo(jobID: JobID(42)))

        #expect(info.contentLength == content.count)
        #expect(info.md5 == MD5.digest(of: content))
        #expect(try await archive.content(jobID: JobID(42)) == content)
        #expect(FileManager.default.contents(atPath: directory.path + "/jobs/42/log.txt") == content)
    }

    @Test("store leaves no temporary files")
    func noTemporaryFiles() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)

        try await archive.store(Data("one".utf8), jobID: JobID(5))
        try await archive.store(Data("two".utf8), jobID: JobID(5))

        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/jobs/5").sorted()
        #expect(names == ["log.txt", "log.txt.md5"])
        #expect(try await archive.content(jobID: JobID(5)) == Data("two".utf8))
    }

    @Test("missing object is nil")
    func missingObject() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)

        #expect(try await archive.objectInfo(jobID: JobID(1)) == nil)
        #expect(try await archive.content(jobID: JobID(1)) == nil)
    }

    @Test("changed file gets a computed MD5")
    func changedFileIsRecomputed() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)
        try await archive.store(Data("original".utf8), jobID: JobID(9))
        let replacement = Data("replaced".utf8)
        try await Task.sleep(for: .milliseconds(20))
        try replacement.write(to: URL(fileURLWithPath: archive.path(for: JobID(9))))

        let info = try #require(try await archive.objectInfo(jobID: JobID(9)))

        #expect(info.contentLength == replacement.count)
        #expect(info.md5 == MD5.digest(of: replacement))
    }

    @Test("missing checksum file gets a computed MD5")
    func missingChecksumIsComputed() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)
        try await archive.store(Data("text".utf8), jobID: JobID(3))
        try FileManager.default.removeItem(atPath: archive.path(for: JobID(3)) + ".md5")

        let info = try #require(try await archive.objectInfo(jobID: JobID(3)))

        #expect(info.md5 == MD5.digest(of: Data("text".utf8)))
    }

    @Test("objects survive a new archive instance")
    func survivesReopen() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try await FileArchive(directory: directory).store(Data("kept".utf8), jobID: JobID(8))

        let reopened = try FileArchive(directory: directory)

        #expect(try await reopened.content(jobID: JobID(8)) == Data("kept".utf8))
    }

    @Test("paths stay inside the directory", arguments: [Int64.min, -1, 0, 1, Int64.max])
    func pathsStayInside(rawJobID: Int64) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)

        let path = archive.path(for: JobID(rawJobID))

        #expect(path == directory.standardizedFileURL.path + "/jobs/\(rawJobID)/log.txt")
        #expect(!path.contains(".."))
    }

    @Test("Purger requeues a changed file")
    func purgerRequeuesChangedFile() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)
        let harness = await ArchiverHarness(archive: archive, content: "log text\n")
        _ = try await harness.archiver.archive(logID: harness.logID)
        try Data("log text?".utf8).write(to: URL(fileURLWithPath: archive.path(for: harness.jobID)))

        let result = try await harness.purger.purge(logID: harness.logID)

        #expect(result == .requeuedForArchiving)
        #expect(await harness.store.log(id: harness.logID)?.content == "log text\n")
    }

    @Test("Purger purges a verified file")
    func purgerPurgesVerifiedFile() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try FileArchive(directory: directory)
        let harness = await ArchiverHarness(archive: archive, content: "log text\n")
        _ = try await harness.archiver.archive(logID: harness.logID)

        let result = try await harness.purger.purge(logID: harness.logID)

        #expect(result == .purged)
        #expect(try await archive.content(jobID: harness.jobID) == Data("log text\n".utf8))
    }
}
