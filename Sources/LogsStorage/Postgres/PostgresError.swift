import LogsCore

/// The error thrown by LogsStorage's PostgreSQL client and store.
///
/// `description` names what failed, the SQLSTATE, the server's primary message and the statement
/// name. It never contains parameter values, connection passwords or log content, so it is safe to
/// log. The server's CONTEXT field is not kept, because for a rejected COPY row it quotes the row.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case connectionFailed = "connection_failed"
            case connectionLost = "connection_lost"
            case queryFailed = "query_failed"
            case rowRejected = "row_rejected"
            case poolTimedOut = "pool_timed_out"
            case poolClosed = "pool_closed"
            case unexpectedResult = "unexpected_result"
        }

        fileprivate let base: Base

        /// The server could not be reached or rejected the login.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The connection broke while a statement ran; the statement may or may not have taken effect.
        public static let connectionLost = Code(base: .connectionLost)
        /// The server returned an error for a statement, identified by `sqlState`.
        public static let queryFailed = Code(base: .queryFailed)
        /// The server, or the check before sending, rejected one row of a batch; `logID` and
        /// `partNumber` name it.
        public static let rowRejected = Code(base: .rowRejected)
        /// No pooled connection became free within the pool's wait timeout.
        public static let poolTimedOut = Code(base: .poolTimedOut)
        public static let poolClosed = Code(base: .poolClosed)
        /// The server's reply did not have the expected shape, such as a missing column.
        public static let unexpectedResult = Code(base: .unexpectedResult)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// A description of the failure, which for server errors is the server's primary message.
    public var message: String
    /// The five-character SQLSTATE the server sent, such as `23505`.
    public var sqlState: String?
    /// The name of the statement that failed.
    public var queryName: String?
    /// The log whose row was rejected, for `.rowRejected`.
    public var logID: LogID?
    /// The part number of the rejected row, for `.rowRejected`.
    public var partNumber: Int?

    public init(
        _ code: Code, _ message: String, sqlState: String? = nil, queryName: String? = nil, logID: LogID? = nil,
        partNumber: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.queryName = queryName
        self.logID = logID
        self.partNumber = partNumber
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let queryName { text += " in \(queryName)" }
        if let logID { text += " for log_id=\(logID)" }
        if let partNumber { text += " number=\(partNumber)" }
        return text
    }

    /// Whether the connection broke, so the work may be retried on a fresh connection.
    public var isConnectionLoss: Bool {
        if code == .connectionLost { return true }
        guard let sqlState else { return false }
        // Class 08 is connection exceptions; 57P01 to 57P03 are the server shutting the backend down.
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }
}
