import Foundation
import LogsCore

/// An `Archive` of this service's own: each log is a file under a directory, at the same key as on S3.
///
/// It meets the whole contract of an archive. `store` replaces the object, and `objectInfo` reports
/// its length and MD5 so the archiver can verify the upload. `content` returns the bytes, so a late
/// part can be merged into a purged log.
actor DirectoryArchive: Archive {
    private let root: URL

    init(root: URL) {
        self.root = root
    }

    func store(_ content: Data, jobID: JobID) throws {
        let url = fileURL(for: jobID)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url, options: .atomic)
    }

    func objectInfo(jobID: JobID) throws -> ArchivedObject? {
        guard let data = try content(jobID: jobID) else { return nil }
        return ArchivedObject(contentLength: data.count, md5: MD5.digest(of: data))
    }

    func content(jobID: JobID) throws -> Data? {
        let url = fileURL(for: jobID)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }

    private func fileURL(for jobID: JobID) -> URL {
        root.appendingPathComponent(ArchiveKey.key(for: jobID))
    }
}
