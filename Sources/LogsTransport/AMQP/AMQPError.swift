/// The error thrown by LogsTransport's AMQP client and the drain built on it.
///
/// `code` names what failed. After a channel error (`isChannelError`) the connection stays open and
/// a new channel can be opened on it, while after any other error the connection must be opened
/// again. `message` is rabbitmq-c's error text or the
/// broker's reply text, and never contains message bodies or passwords.
public struct AMQPError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidURL = "invalid_url"
            case unsupported
            case connectionFailed = "connection_failed"
            case authenticationFailed = "authentication_failed"
            case io
            case timedOut = "timed_out"
            case protocolError = "protocol_error"
            case channelClosed = "channel_closed"
            case connectionClosed = "connection_closed"
            case consumerCancelled = "consumer_cancelled"
            case notConnected = "not_connected"
            case managementRequestFailed = "management_request_failed"
            case notConfirmed = "not_confirmed"
        }

        fileprivate let base: Base

        /// The RabbitMQ URL is not an `amqp://` or `amqps://` URL with a valid port and heartbeat.
        public static let invalidURL = Code(base: .invalidURL)
        /// A requested feature, such as TLS, that the linked rabbitmq-c lacks.
        public static let unsupported = Code(base: .unsupported)
        /// The TCP or TLS connection could not be opened, or the AMQP handshake failed.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The broker refused the user name or password, or access to the vhost.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// Reading or writing failed, the socket closed, or heartbeats stopped arriving.
        public static let io = Code(base: .io)
        /// A call that waits for the broker got no reply in time.
        public static let timedOut = Code(base: .timedOut)
        /// The broker sent frames that the client did not expect.
        public static let protocolError = Code(base: .protocolError)
        /// The broker closed the channel, for example with 404 NOT_FOUND for a missing queue or 406
        /// PRECONDITION_FAILED for a declaration that differs from the existing one. The connection
        /// is still open.
        public static let channelClosed = Code(base: .channelClosed)
        /// The broker closed the connection, for example with 320 CONNECTION_FORCED on shutdown.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The broker cancelled the consumer, for example because its queue was deleted.
        public static let consumerCancelled = Code(base: .consumerCancelled)
        /// The connection is closed or was never opened.
        public static let notConnected = Code(base: .notConnected)
        /// A request to the RabbitMQ management HTTP API failed or was rejected.
        public static let managementRequestFailed = Code(base: .managementRequestFailed)

        /// The broker rejected a confirmed publish or returned it as unroutable, so it did not
        /// store the message. The connection is still open.
        public static let notConfirmed = Code(base: .notConfirmed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The failure in rabbitmq-c's or the broker's words.
    public var message: String
    /// The AMQP method or client call that failed, such as `queue.declare` or `basic.ack`.
    public var operation: String?
    /// The broker's AMQP reply code, such as 404 or 320, when the broker closed the channel or the
    /// connection.
    public var replyCode: Int?

    public init(_ code: Code, _ message: String, operation: String? = nil, replyCode: Int? = nil) {
        self.code = code
        self.message = message
        self.operation = operation
        self.replyCode = replyCode
    }

    /// Whether only the channel was lost and the connection can open a new one.
    public var isChannelError: Bool {
        code == .channelClosed
    }

    /// Whether the connection is unusable and must be opened again.
    public var isConnectionError: Bool {
        code != .channelClosed && code != .invalidURL && code != .unsupported && code != .consumerCancelled
            && code != .managementRequestFailed && code != .notConfirmed
    }

    public var description: String {
        var text = "amqp"
        if let operation { text += " \(operation)" }
        text += " \(code)"
        if let replyCode { text += " \(replyCode)" }
        return text + ": \(message)"
    }
}
