import CurlClient
import Foundation
import LogsCore

/// An `Archive` in an S3 bucket, or an S3-compatible server's, signed with AWS Signature V4.
///
/// Each log is one object, `jobs/<job_id>/log.txt`, stored with `Content-Type: text/plain`, the
/// configured canned ACL, `Content-MD5` (so the service rejects a corrupted upload) and
/// `x-amz-content-sha256`. Requests that fail with a 5xx or 429 status, a timeout or a connection
/// failure are retried with exponential backoff and jitter. Other 4xx statuses are not retried,
/// because sending the same request again gets the same answer.
public struct S3Archive: Archive {
    /// The retry settings for failed requests.
    public struct RetryPolicy: Sendable {
        /// Attempts per request, the first included.
        public var attempts: Int
        /// The upper bound of the wait before the second attempt; it doubles with every attempt after.
        public var initialBackoff: Duration
        /// The maximum wait between two attempts.
        public var maximumBackoff: Duration

        public init(
            attempts: Int = 4, initialBackoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(5)
        ) {
            precondition(attempts >= 1, "a retry policy needs at least one attempt")
            self.attempts = attempts
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }

        /// Returns the wait after failed attempt `attempt` (1-based): a random duration between half
        /// and all of `initialBackoff * 2^(attempt - 1)`, capped at `maximumBackoff`. The jitter keeps
        /// many processes from retrying in step.
        func backoff(afterAttempt attempt: Int) -> Duration {
            let exponent = Double(min(attempt - 1, 30))
            let ceiling = min(initialBackoff.timeInterval * pow(2, exponent), maximumBackoff.timeInterval)
            return .milliseconds(Int(Double.random(in: (ceiling / 2)...ceiling) * 1000))
        }
    }

    private let addressing: S3Addressing
    private let signer: S3RequestSigner
    private let cannedACL: String?
    private let clients: CurlHTTPClientPool
    private let retryPolicy: RetryPolicy
    private let clock: any LogsClock
    private let logger: Logger

    /// Creates an archive for the bucket in `settings`.
    ///
    /// - Parameters:
    ///   - connections: The number of requests that can run at once, each on its own thread.
    ///   - connectTimeout: The maximum time to connect, TLS included.
    ///   - timeout: The maximum time for one request attempt.
    /// - Throws: `S3Error` with code `.invalidConfiguration` when no bucket, access key id or secret is
    ///   set, or the endpoint is not an http or https URL.
    public init(
        settings: LogsConfiguration.S3, connections: Int = 4, connectTimeout: Duration = .seconds(5),
        timeout: Duration = .seconds(60), retryPolicy: RetryPolicy = RetryPolicy(),
        clock: any LogsClock = SystemClock(),
        logger: Logger
    ) throws {
        guard !settings.accessKeyID.isEmpty, !settings.secretAccessKey.isEmpty else {
            throw S3Error(
                code: .invalidConfiguration, operation: "configure", key: "",
                message: "missing credentials; set TRAVIS_S3_ACCESS_KEY_ID and TRAVIS_S3_SECRET_ACCESS_KEY")
        }
        addressing = try S3Addressing(settings: settings)
        signer = S3RequestSigner(
            accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey, region: settings.region)
        cannedACL = settings.cannedACL
        clients = try CurlHTTPClientPool(
            name: "s3", size: connections,
            options: CurlHTTPClient.Options(connectTimeout: connectTimeout, timeout: timeout))
        self.retryPolicy = retryPolicy
        self.clock = clock
        self.logger = logger
    }

    /// Returns the URL of a job's object, such as `http://127.0.0.1:8333/bucket/jobs/1/log.txt`.
    public func url(for jobID: JobID) -> String {
        addressing.url(forKey: ArchiveKey.key(for: jobID))
    }

    /// Uploads the log with a PUT.
    ///
    /// - Throws: `S3Error` after the last attempt, such as `403 SignatureDoesNotMatch` for a wrong
    ///   secret or `400 BadDigest` when the bytes arrived changed.
    public func store(_ content: Data, jobID: JobID) async throws {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "text/plain"),
            ("Content-MD5", Data(MD5.digest(of: content)).base64EncodedString()),
        ]
        if let cannedACL {
            headers.append(("x-amz-acl", cannedACL))
        }
        _ = try await send(method: "PUT", jobID: jobID, headers: headers, body: content)
    }

    /// Reads the object's length and, from a plain (single-part) ETag, its MD5 with a HEAD.
    ///
    /// - Returns: nil when the object does not exist. `md5` is nil for a multipart ETag, which is not an MD5.
    public func objectInfo(jobID: JobID) async throws -> ArchivedObject? {
        guard let response = try await send(method: "HEAD", jobID: jobID, allowsNotFound: true) else {
            return nil
        }
        guard let lengthText = response.header("Content-Length"), let length = Int(lengthText) else {
            throw S3Error(
                code: .invalidResponse, operation: "HEAD", key: ArchiveKey.key(for: jobID),
                message: "the response has no valid Content-Length")
        }
        return ArchivedObject(contentLength: length, md5: response.header("ETag").flatMap(Self.md5(fromETag:)))
    }

    /// Downloads the object with a GET.
    ///
    /// - Returns: nil when the object does not exist.
    public func content(jobID: JobID) async throws -> Data? {
        try await send(method: "GET", jobID: jobID, allowsNotFound: true)?.body
    }

    /// Returns the 16 bytes of an ETag that is a quoted 32-digit hex MD5, or nil for any other
    /// ETag, such as a multipart one (`"<hex>-<parts>"`).
    static func md5(fromETag etag: String) -> [UInt8]? {
        var hex = etag.trimmingCharacters(in: .whitespaces)
        if hex.hasPrefix("W/") { return nil }
        hex = hex.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let digits = Array(hex.utf8)
        guard digits.count == 32 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}

extension S3Archive {
    /// Sends a signed request for a job's object, retrying transient failures.
    ///
    /// - Returns: The response, or nil for a 404 when `allowsNotFound` is set.
    /// - Throws: `S3Error` for any other error status, or when no response came after the last attempt.
    func send(
        method: String, jobID: JobID, headers: [(name: String, value: String)] = [], body: Data? = nil,
        allowsNotFound: Bool = false
    ) async throws -> HTTPResponse? {
        let key = ArchiveKey.key(for: jobID)
        let payloadHash = body.map { Digest.hex(Digest.sha256($0)) } ?? S3RequestSigner.emptyPayloadHash
        var attempt = 1
        while true {
            do {
                let signed = signer.sign(
                    method: method, host: addressing.host, path: addressing.path(forKey: key), headers: headers,
                    payloadHash: payloadHash, date: clock.now())
                let request = HTTPRequest(method: method, url: addressing.url(forKey: key), headers: signed, body: body)
                return try await sendOnce(request, key: key, allowsNotFound: allowsNotFound)
            } catch let error as S3Error where error.isTransient && attempt < retryPolicy.attempts {
                let backoff = retryPolicy.backoff(afterAttempt: attempt)
                logger.info(
                    "S3 request failed, retrying",
                    metadata: [
                        "job_id": "\(jobID)", "operation": "\(method)", "attempt": "\(attempt)",
                        "backoff_ms": "\(Int(backoff.timeInterval * 1000))", "error": "\(error)",
                    ])
                try await clock.sleep(for: backoff)
                attempt += 1
            }
        }
    }

    private func sendOnce(_ request: HTTPRequest, key: String, allowsNotFound: Bool) async throws -> HTTPResponse? {
        let response: HTTPResponse
        do {
            response = try await clients.execute(request)
        } catch let error as HTTPClientError {
            throw S3Error(
                code: .requestFailed, operation: request.method, key: key, curlCode: error.curlCode,
                message: error.message, isTransient: error.isTransient)
        }
        if response.isSuccess {
            return response
        }
        if response.status == 404 && allowsNotFound {
            return nil
        }
        throw S3Error(response: response, operation: request.method, key: key)
    }
}

extension S3Error {
    /// Makes the error for an error status, with the code, message and request id from S3's XML body
    /// (`<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>`) when there is one.
    init(response: HTTPResponse, operation: String, key: String) {
        let body = String(decoding: response.body.prefix(4096), as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let start = body.range(of: "<\(name)>"),
                let end = body.range(of: "</\(name)>", range: start.upperBound..<body.endIndex)
            else { return nil }
            return String(body[start.upperBound..<end.lowerBound])
        }
        let status = response.status
        self.init(
            code: .errorStatus, operation: operation, key: key, httpStatus: status, serviceCode: element("Code"),
            message: element("Message") ?? "HTTP status \(status)",
            requestID: element("RequestId") ?? response.header("x-amz-request-id"),
            isTransient: status >= 500 || status == 429)
    }
}
