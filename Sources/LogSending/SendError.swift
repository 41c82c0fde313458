/// The error of `LogSender` and its signing key.
///
/// `message` names what failed and what to do; it never contains a token, a key or log content.
/// Codes are a struct over a private enum so that new ones can be added without breaking callers.
public struct SendError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidKey = "invalid_key"
            case rejected
            case timedOut = "timed_out"
            case requestFailed = "request_failed"
        }

        fileprivate let base: Base

        /// The signing key is not an unencrypted RSA private key in PEM form.
        public static let invalidKey = Code(base: .invalidKey)
        /// The server returned a status that retrying cannot fix, such as 400 or 403.
        public static let rejected = Code(base: .rejected)
        /// A request kept failing with retryable errors until the retry time limit passed.
        public static let timedOut = Code(base: .timedOut)
        /// A request failed in a way that retrying cannot fix, such as a malformed URL or TLS failure.
        public static let requestFailed = Code(base: .requestFailed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The HTTP status of the last response, when there was one.
    public var status: Int?
    /// What the server accepted before a send failed, set by `LogSender.send`.
    public var delivered: SendSummary?

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { message }
}
