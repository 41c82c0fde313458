import Glibc

/// A failed file system call of `FileArchive`, with the call, the path and `errno`.
public struct FileArchiveError: Error, Sendable, CustomStringConvertible {
    /// The operation that failed, such as `rename` or `fsync`.
    public var operation: String
    public var path: String
    /// The `errno` value.
    public var code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(path) failed: \(String(cString: strerror(code)))"
    }
}
