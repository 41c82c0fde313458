/// The error thrown by LogsStorage's SQLite connection and store.
///
/// `description` names what failed, SQLite's result code and message (`sqlite3_errmsg`) and the
/// statement name. It never contains bound values or log content, so it is safe to log.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case openFailed = "open_failed"
            case statementFailed = "statement_failed"
            case busy
            case unsupportedSchema = "unsupported_schema"
            case closed
            case unexpectedResult = "unexpected_result"
        }

        fileprivate let base: Base

        /// The database file could not be opened or configured.
        public static let openFailed = Code(base: .openFailed)
        /// SQLite returned an error for a statement, identified by `resultCode`.
        public static let statementFailed = Code(base: .statementFailed)
        /// Another connection held the lock for longer than the busy timeout (`SQLITE_BUSY`).
        public static let busy = Code(base: .busy)
        /// The file's `PRAGMA user_version` is newer than the latest version this build supports.
        public static let unsupportedSchema = Code(base: .unsupportedSchema)
        /// The connection was closed before the call.
        public static let closed = Code(base: .closed)
        /// A row did not have the expected shape, such as a missing value.
        public static let unexpectedResult = Code(base: .unexpectedResult)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// SQLite's message for the failure, as `sqlite3_errmsg` returns it, or a description of ours.
    public var message: String
    /// SQLite's extended result code, such as 2067 for `SQLITE_CONSTRAINT_UNIQUE`.
    public var resultCode: Int32?
    /// The name of the statement that failed.
    public var statementName: String?

    public init(_ code: Code, _ message: String, resultCode: Int32? = nil, statementName: String? = nil) {
        self.code = code
        self.message = message
        self.resultCode = resultCode
        self.statementName = statementName
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let resultCode { text += " (SQLite result code \(resultCode))" }
        if let statementName { text += " in \(statementName)" }
        return text
    }
}
