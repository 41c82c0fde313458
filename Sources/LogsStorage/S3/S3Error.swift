/// A failed S3 request: an error status from the service, or no complete response at all.
///
/// The description names the operation, the object key, the HTTP status and S3's error code and
/// message (such as `403 SignatureDoesNotMatch`). It never contains credentials or log content.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidConfiguration = "invalid_configuration"
            case requestFailed = "request_failed"
            case errorStatus = "error_status"
            case invalidResponse = "invalid_response"
        }

        fileprivate let base: Base

        /// The S3 settings cannot make a request, such as a missing bucket or credentials.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// No complete response: a timeout, a refused connection or a TLS failure; see ``S3Error/curlCode``.
        public static let requestFailed = Code(base: .requestFailed)
        /// The service returned an error status; see ``S3Error/httpStatus`` and ``S3Error/serviceCode``.
        public static let errorStatus = Code(base: .errorStatus)
        /// A success status with a response that cannot be read, such as a HEAD without `Content-Length`.
        public static let invalidResponse = Code(base: .invalidResponse)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The request's method, such as `PUT`.
    public var operation: String
    /// The object key, such as `jobs/1/log.txt`.
    public var key: String
    /// The HTTP status, for ``Code/errorStatus``.
    public var httpStatus: Int?
    /// S3's error code from the response body, such as `SignatureDoesNotMatch` or `SlowDown`.
    public var serviceCode: String?
    /// The libcurl result code, for ``Code/requestFailed``.
    public var curlCode: Int?
    /// The failure in words: S3's error message or libcurl's.
    public var message: String
    /// S3's request id, for support requests to the provider.
    public var requestID: String?
    /// Whether the request may succeed when sent again: 5xx, 429, timeouts and connection failures.
    public var isTransient: Bool

    public init(
        code: Code, operation: String, key: String, httpStatus: Int? = nil, serviceCode: String? = nil,
        curlCode: Int? = nil, message: String, requestID: String? = nil, isTransient: Bool = false
    ) {
        self.code = code
        self.operation = operation
        self.key = key
        self.httpStatus = httpStatus
        self.serviceCode = serviceCode
        self.curlCode = curlCode
        self.message = message
        self.requestID = requestID
        self.isTransient = isTransient
    }

    public var description: String {
        var text = "S3 \(operation) \(key) failed"
        if let httpStatus {
            text += ": \(httpStatus)"
            if let serviceCode { text += " \(serviceCode)" }
        }
        text += ": \(message)"
        if let curlCode { text += " (curl code \(curlCode))" }
        if let requestID { text += " (request id \(requestID))" }
        return text
    }
}
