/// The error thrown by LogsHTTP: the server failing to start, or a route handler rejecting a
/// request with a status and a message for the client.
///
/// `message` is sent to clients in `{"error": message}`, so it never contains tokens, secrets or
/// log content.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case startFailed = "start_failed"
            case invalidConfiguration = "invalid_configuration"
            case requestRejected = "request_rejected"
        }

        fileprivate let base: Base

        /// libmicrohttpd could not start, for example because the port is taken.
        public static let startFailed = Code(base: .startFailed)
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// A handler rejected the request; `status` is the HTTP status to send.
        public static let requestRejected = Code(base: .requestRejected)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The HTTP status for `.requestRejected`; 500 otherwise.
    public var status: Int
    public var message: String
    /// Extra response headers, such as `Retry-After`.
    public var headers: [String: String]

    public init(code: Code, status: Int = 500, message: String, headers: [String: String] = [:]) {
        self.code = code
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// A request rejected with `status`.
    public static func rejected(_ status: Int, _ message: String, headers: [String: String] = [:]) -> HTTPError {
        HTTPError(code: .requestRejected, status: status, message: message, headers: headers)
    }

    public var description: String { message }
}
