/// A request that got no complete HTTP response: a libcurl error such as a timeout or a refused
/// connection.
///
/// A response with an error status is not an `HTTPClientError`; callers read
/// ``HTTPResponse/status`` and throw their own error. The description names the method and the URL
/// without its query string, so it carries no signature.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case timedOut = "timed_out"
            case connectionFailed = "connection_failed"
            case tlsFailed = "tls_failed"
            case responseTooLarge = "response_too_large"
            case invalidRequest = "invalid_request"
            case transferFailed = "transfer_failed"
        }

        fileprivate let base: Base

        /// The connect or total timeout passed.
        public static let timedOut = Code(base: .timedOut)
        /// The host could not be resolved or reached, or the connection broke before a full response.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The TLS handshake failed or the peer's certificate was not accepted.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// The body exceeded ``CurlHTTPClient/Options/maximumResponseBodySize``.
        public static let responseTooLarge = Code(base: .responseTooLarge)
        /// libcurl rejected the URL or an option.
        public static let invalidRequest = Code(base: .invalidRequest)
        /// Any other libcurl failure.
        public static let transferFailed = Code(base: .transferFailed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The libcurl result code, such as 28 for `CURLE_OPERATION_TIMEDOUT`.
    public var curlCode: Int
    /// libcurl's message for the failure.
    public var message: String
    public var method: String
    /// The request URL without its query string.
    public var url: String

    public init(code: Code, curlCode: Int, message: String, method: String, url: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
        self.method = method
        self.url = url
    }

    /// Whether sending the same request again may succeed: timeouts and connection failures.
    public var isTransient: Bool {
        code == .timedOut || code == .connectionFailed
    }

    public var description: String {
        "\(method) \(url) failed: \(message) (curl code \(curlCode))"
    }
}
