import Foundation
import Glibc
import LogsCore

/// An `Archive` in a directory, with the same key layout as S3: `<directory>/jobs/<job_id>/log.txt`.
///
/// Each store writes a temporary file in the job's folder, flushes it with `fsync`, and renames it
/// over `log.txt`. A reader, or the folder after a crash, has the old object or the new one, never
/// a partial one.
/// The MD5 is kept beside the log in `log.txt.md5` with the size and modification time it belongs
/// to. When those no longer match the log file, `objectInfo` computes the MD5 from the file
/// instead, so a stale checksum is never reported. Paths are built from the integer job id only,
/// so no id can name a file outside the directory. File system calls block, so they run on the
/// archive's own thread.
public actor FileArchive: Archive {
    public let directory: URL
    private let executor: ThreadExecutor

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Creates an archive in `directory`, creating the directory when it is missing.
    ///
    /// - Throws: `FileArchiveError` when the directory cannot be created.
    public init(directory: URL) throws {
        self.directory = directory.standardizedFileURL
        executor = ThreadExecutor(name: "file-archive")
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            executor.shutdown()
            throw FileArchiveError(operation: "create directory", path: self.directory.path, code: errno)
        }
    }

    deinit {
        executor.shutdown()
    }

    /// Returns the path of a job's log file.
    public nonisolated func path(for jobID: JobID) -> String {
        directory.path + "/jobs/" + String(jobID.rawValue) + "/log.txt"
    }

    public func store(_ content: Data, jobID: JobID) throws {
        let logPath = path(for: jobID)
        let folder = (logPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FileArchiveError(operation: "create directory", path: folder, code: errno)
        }
        try AtomicFile.write(content, to: logPath)
        let status = try AtomicFile.status(of: logPath)
        let checksum = StoredChecksum(md5: MD5.digest(of: content), size: status.size, modified: status.modified)
        try AtomicFile.write(Data(checksum.line.utf8), to: logPath + ".md5")
    }

    public func objectInfo(jobID: JobID) throws -> ArchivedObject? {
        let logPath = path(for: jobID)
        guard let status = try AtomicFile.statusIfPresent(of: logPath) else { return nil }
        if let stored = try AtomicFile.read(logPath + ".md5").flatMap(StoredChecksum.init(line:)),
            stored.size == status.size, stored.modified == status.modified
        {
            return ArchivedObject(contentLength: status.size, md5: stored.md5)
        }
        guard let content = try AtomicFile.read(logPath) else { return nil }
        return ArchivedObject(contentLength: content.count, md5: MD5.digest(of: content))
    }

    public func content(jobID: JobID) throws -> Data? {
        try AtomicFile.read(path(for: jobID))
    }
}

/// The MD5 of a log file with the size and modification time the file had when it was stored.
private struct StoredChecksum {
    var md5: [UInt8]
    var size: Int
    /// Nanoseconds since 1970.
    var modified: Int64

    init(md5: [UInt8], size: Int, modified: Int64) {
        self.md5 = md5
        self.size = size
        self.modified = modified
    }

    /// Parses `<hex md5> <size> <modified>`.
    init?(line: Data) {
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard fields.count == 3, let size = Int(fields[1]),
            let modified = Int64(fields[2].trimmingCharacters(in: .whitespacesAndNewlines)),
            let md5 = S3Archive.md5(fromETag: String(fields[0]))
        else { return nil }
        self.init(md5: md5, size: size, modified: modified)
    }

    var line: String {
        "\(MD5.hex(md5)) \(size) \(modified)\n"
    }
}
