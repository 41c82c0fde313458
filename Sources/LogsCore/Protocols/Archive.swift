import Foundation

/// The length and checksum an archive reports for one stored object.
public struct ArchivedObject: Sendable, Hashable {
    public var contentLength: Int
    /// The MD5 of the object's bytes, when the archive reports it (an S3 ETag of a single-part
    /// upload is one).
    public var md5: [UInt8]?

    public init(contentLength: Int, md5: [UInt8]?) {
        self.contentLength = contentLength
        self.md5 = md5
    }
}

/// Long-term storage of aggregated logs, one object per job at `jobs/<job_id>/log.txt`.
///
/// Implementations: `InMemoryArchive` here, and S3 and directory archives in LogsStorage.
public protocol Archive: Sendable {
    /// Stores a log's text, replacing any earlier object for the job.
    ///
    /// Implementations send the MD5 with the upload where the service checks it.
    func store(_ content: Data, jobID: JobID) async throws

    /// Returns the stored object's length and checksum, or nil when there is none.
    func objectInfo(jobID: JobID) async throws -> ArchivedObject?

    /// Returns the stored text, or nil when there is none.
    func content(jobID: JobID) async throws -> Data?
}

public enum ArchiveKey {
    /// The object key of a job's log, the same on S3 and on disk.
    public static func key(for jobID: JobID) -> String {
        "jobs/\(jobID.rawValue)/log.txt"
    }
}
