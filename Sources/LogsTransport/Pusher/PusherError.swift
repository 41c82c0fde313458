/// A failed Pusher request, or a webhook that failed verification.
///
/// The description never contains the app secret, and for a request only the method and path.
public struct PusherError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidConfiguration = "invalid_configuration"
            case requestFailed = "request_failed"
            case errorStatus = "error_status"
            case invalidWebhook = "invalid_webhook"
        }

        fileprivate let base: Base

        /// The Pusher settings cannot make a request, such as a missing app id, key or secret.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// No complete response: a timeout, a refused connection or a TLS failure; see ``PusherError/curlCode``.
        public static let requestFailed = Code(base: .requestFailed)
        /// Pusher returned an error status, such as 401 for a bad signature or 413 for a large event.
        public static let errorStatus = Code(base: .errorStatus)
        /// A webhook whose key, signature, body or time is not valid.
        public static let invalidWebhook = Code(base: .invalidWebhook)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The HTTP status, for ``Code/errorStatus``.
    public var httpStatus: Int?
    /// The libcurl result code, for ``Code/requestFailed``.
    public var curlCode: Int?
    /// The failure in words: Pusher's response text, libcurl's message, or the webhook check that failed.
    public var message: String

    public init(code: Code, httpStatus: Int? = nil, curlCode: Int? = nil, message: String) {
        self.code = code
        self.httpStatus = httpStatus
        self.curlCode = curlCode
        self.message = message
    }

    public var description: String {
        switch (httpStatus, curlCode) {
        case (let status?, _):
            return "Pusher request failed: \(status): \(message)"
        case (nil, let curlCode?):
            return "Pusher request failed: \(message) (curl code \(curlCode))"
        default:
            return code == .invalidWebhook ? "invalid Pusher webhook: \(message)" : "Pusher: \(message)"
        }
    }
}
