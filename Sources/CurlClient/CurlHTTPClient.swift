import Foundation
import LogsCore

/// An HTTP client that owns one libcurl easy handle and runs its blocking transfers on a dedicated
/// thread.
///
/// The actor's executor is a ``ThreadExecutor``, so `await client.execute(request)` hops onto that
/// thread, blocks there in `curl_easy_perform`, and leaves Swift's cooperative pool free. One
/// client runs one request at a time and keeps its connections open between requests; use a
/// ``CurlHTTPClientPool`` for concurrent requests.
public actor CurlHTTPClient {
    /// Limits and identity of every request a client sends.
    public struct Options: Sendable {
        /// The maximum time to set up a connection, TLS included.
        public var connectTimeout: Duration
        /// The maximum time for the whole request, connecting included.
        public var timeout: Duration
        /// Bodies larger than this many bytes fail with ``HTTPClientError/Code/responseTooLarge``.
        public var maximumResponseBodySize: Int
        public var userAgent: String

        public init(
            connectTimeout: Duration = .seconds(5), timeout: Duration = .seconds(30),
            maximumResponseBodySize: Int = 256 * 1024 * 1024, userAgent: String = "travis-logs"
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maximumResponseBodySize = maximumResponseBodySize
            self.userAgent = userAgent
        }
    }

    private let executor: ThreadExecutor
    private let handle: CurlEasyHandle
    private let options: Options

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Creates a client with its own easy handle and thread.
    ///
    /// - Parameter name: The thread's name, such as `s3-1`, shown in debuggers and thread lists.
    /// - Throws: `HTTPClientError` when libcurl cannot create a handle.
    public init(name: String, options: Options = Options()) throws {
        self.executor = ThreadExecutor(name: name)
        self.handle = try CurlEasyHandle()
        self.options = options
    }

    deinit {
        executor.shutdown()
    }

    /// Sends the request and returns the response, whatever its status.
    ///
    /// TLS peers are always verified against the system's certificate authorities.
    ///
    /// - Throws: `HTTPClientError` when no complete response arrived, for example on a timeout, a
    ///   refused connection or a failed TLS handshake.
    public func execute(_ request: HTTPRequest) throws -> HTTPResponse {
        try handle.perform(request, options: options)
    }
}
