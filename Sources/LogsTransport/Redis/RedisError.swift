/// The error thrown by LogsTransport's Redis client and the types built on it.
///
/// `code` tells callers what failed. `message` is hiredis's error text or the server's error reply, and
/// `command` is the command's name only: arguments, which may carry job JSON or keys, and
/// passwords never appear in an error.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidURL = "invalid_url"
            case unsupported
            case connectionFailed = "connection_failed"
            case io
            case protocolError = "protocol_error"
            case serverError = "server_error"
            case authenticationFailed = "authentication_failed"
            case unexpectedReply = "unexpected_reply"
            case poolClosed = "pool_closed"
        }

        fileprivate let base: Base

        /// `REDIS_URL` is not a `redis://` or `unix://` URL with a valid port and database number.
        public static let invalidURL = Code(base: .invalidURL)
        /// A requested feature, such as TLS, that the linked hiredis does not have.
        public static let unsupported = Code(base: .unsupported)
        /// The TCP or Unix socket connection could not be opened.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// Reading or writing failed or timed out, or the server closed the connection.
        public static let io = Code(base: .io)
        /// The server sent bytes that are not the Redis protocol.
        public static let protocolError = Code(base: .protocolError)
        /// The server returned an error reply, such as `WRONGTYPE` or `NOSCRIPT`.
        public static let serverError = Code(base: .serverError)
        /// `AUTH` or `SELECT` failed after connecting.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The reply has a type that the command never returns.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// The pool was closed while the caller waited for a connection.
        public static let poolClosed = Code(base: .poolClosed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The failure in hiredis's or the server's words, without command arguments.
    public var message: String
    /// The command's name, such as `EVALSHA`, when a command failed.
    public var command: String?
    /// Whether the pool's reconnect backoff has logged this failure as a connection attempt, so a
    /// caller that retries after the backoff's delay need not log it again.
    var isLoggedByReconnectBackoff = false

    public init(_ code: Code, _ message: String, command: String? = nil) {
        self.code = code
        self.message = message
        self.command = command
    }

    /// Whether the connection that raised this error is broken and must be opened again.
    public var isConnectionError: Bool {
        code == .connectionFailed || code == .io || code == .protocolError
    }

    public var description: String {
        guard let command else { return "redis \(code): \(message)" }
        return "redis \(command) \(code): \(message)"
    }
}
