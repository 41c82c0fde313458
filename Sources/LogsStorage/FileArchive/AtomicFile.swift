import Foundation
import Glibc

/// File operations for `FileArchive`, on POSIX calls so that each step's error is known.
enum AtomicFile {
    struct Status {
        var size: Int
        /// The modification time in nanoseconds since 1970.
        var modified: Int64
    }

    /// Writes `data` to a new temporary file beside `path`, flushes it to disk, renames it to `path`,
    /// and flushes the folder so the rename survives a crash.
    static func write(_ data: Data, to path: String) throws {
        let temporaryPath = path + ".tmp-" + UUID().uuidString
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileArchiveError(operation: "open", path: temporaryPath, code: errno)
        }
        do {
            try writeAll(data, to: descriptor, path: temporaryPath)
            guard fsync(descriptor) == 0 else {
                throw FileArchiveError(operation: "fsync", path: temporaryPath, code: errno)
            }
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw FileArchiveError(operation: "rename", path: path, code: code)
        }
        try syncFolder(of: path)
    }

    /// Returns the file's contents, or nil when it does not exist.
    static func read(_ path: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileArchiveError(operation: "read", path: path, code: errno)
        }
        return data
    }

    static func status(of path: String) throws -> Status {
        guard let status = try statusIfPresent(of: path) else {
            throw FileArchiveError(operation: "stat", path: path, code: ENOENT)
        }
        return status
    }

    /// Returns the file's size and modification time, or nil when it does not exist.
    static func statusIfPresent(of path: String) throws -> Status? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw FileArchiveError(operation: "stat", path: path, code: errno)
        }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return Status(size: Int(info.st_size), modified: modified)
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw FileArchiveError(operation: "write", path: path, code: errno)
                }
                offset += written
            }
        }
    }

    private static func syncFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileArchiveError(operation: "open", path: folder, code: errno)
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FileArchiveError(operation: "fsync", path: folder, code: errno)
        }
    }
}
