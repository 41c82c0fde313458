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
    public struct Options: Sendable, Equatable {
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

    /// Sends the requests one after another with a single hop onto this client's thread, and
    /// returns a result for each request sent.
    ///
    /// It stops after the first request that fails or gets a status outside 200 to 299. That
    /// request's result is the last one returned, and the requests after it are not sent.
    public func executeInOrder(_ requests: [HTTPRequest]) -> [Result<HTTPResponse, HTTPClientError>] {
        var results: [Result<HTTPResponse, HTTPClientError>] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            do {
                let response = try handle.perform(request, options: options)
                results.append(.success(response))
                if !response.isSuccess { break }
            } catch {
                results.append(.failure(Self.clientError(error, of: request)))
                break
            }
        }
        return results
    }

    /// Returns the error as thrown by `CurlEasyHandle.perform`, which throws only `HTTPClientError`.
    private static func clientError(_ error: any Error, of request: HTTPRequest) -> HTTPClientError {
        if let error = error as? HTTPClientError { return error }
        return HTTPClientError(
            code: .transferFailed, curlCode: 0, message: "\(error)", method: request.method, url: request.redactedURL)
    }
}
