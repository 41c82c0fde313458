import Foundation
import Synchronization

extension KeyValueLogHandler {
    /// The destination of the lines that a ``KeyValueLogHandler`` writes.
    public struct Output: Sendable {
        private let writeLine: @Sendable (String) -> Void

        private init(writeLine: @escaping @Sendable (String) -> Void) {
            self.writeLine = writeLine
        }

        /// Standard error, shared by every handler that uses it so lines from all threads stay whole.
        public static let standardError = Output.fileHandle(.standardError)

        /// Standard output, shared like ``standardError``.
        public static let standardOutput = Output.fileHandle(.standardOutput)

        /// Writes each line, with its newline, to `handle` in one `write(contentsOf:)` call under a lock.
        ///
        /// The lock belongs to the returned value, so give every handler writing to one file the same
        /// `Output` value, as ``standardError`` does.
        public static func fileHandle(_ handle: FileHandle) -> Output {
            let writer = LockedLineWriter(handle: handle)
            return Output { writer.write($0) }
        }

        /// Passes each line, without its newline, to `body`, which may be called from any thread.
        public static func custom(_ body: @escaping @Sendable (String) -> Void) -> Output {
            Output(writeLine: body)
        }

        func write(line: String) {
            writeLine(line)
        }
    }
}

/// A file handle whose writes are serialized, so that one line never interleaves with another.
private final class LockedLineWriter: Sendable {
    private let handle: FileHandle
    private let lock = Mutex(())

    init(handle: FileHandle) {
        self.handle = handle
    }

    func write(_ line: String) {
        let data = Data((line + "\n").utf8)
        lock.withLock { _ in
            // NOTE: a failed write (for example to a closed pipe) is dropped because a logger has
            // nowhere left to report it.
            try? handle.write(contentsOf: data)
        }
    }
}
