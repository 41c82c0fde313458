import Foundation
import Glibc
import Synchronization

/// An exclusive `flock` on a file, held until `release()` or until the process ends.
///
/// The kernel drops the lock when the process dies, even by SIGKILL, so the next holder knows
/// the previous one is gone.
final class ExclusiveFileLock: Sendable {
    private let descriptor: Mutex<Int32?>
    let path: String

    /// Takes the lock without waiting, creating the file when missing.
    ///
    /// - Throws: `SQLiteError` with code `.busy` when another open file holds the lock, or
    ///   `.openFailed` when the file cannot be opened.
    init(path: String) throws {
        self.path = path
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw SQLiteError(.openFailed, "could not open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(opened)
            if code == EWOULDBLOCK {
                throw SQLiteError(
                    .busy,
                    "another process, or another queue in this one, uses the job queue of this database (lock file "
                        + "\(path)); stop it or use "
                        + "another data directory")
            }
            throw SQLiteError(.openFailed, "could not lock \(path): \(String(cString: strerror(code)))")
        }
        descriptor = Mutex(opened)
    }

    /// Releases the lock by closing the file; later calls do nothing.
    func release() {
        let open = descriptor.withLock { descriptor in
            defer { descriptor = nil }
            return descriptor
        }
        if let open { close(open) }
    }
}
