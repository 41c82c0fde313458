import Foundation
import Synchronization

/// A fixed set of ``CurlHTTPClient``s, each with its own thread, for concurrent requests.
///
/// Each request goes to the client with the fewest requests in progress, so up to `size` requests
/// run at once and further ones wait in line on the least busy client.
public final class CurlHTTPClientPool: Sendable {
    private let clients: [CurlHTTPClient]
    private let inProgress: Mutex<[Int]>

    /// Creates `size` clients whose threads are named `<name>-1` to `<name>-<size>`.
    ///
    /// - Throws: `HTTPClientError` when libcurl cannot create a handle.
    public init(name: String, size: Int, options: CurlHTTPClient.Options = .init()) throws {
        precondition(size > 0, "a client pool needs at least one client")
        clients = try (1...size).map { try CurlHTTPClient(name: "\(name)-\($0)", options: options) }
        inProgress = Mutex(Array(repeating: 0, count: size))
    }

    /// Sends the request on the least busy client; see ``CurlHTTPClient/execute(_:)``.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let index = reserveClient()
        defer { releaseClient(index) }
        return try await clients[index].execute(request)
    }

    /// Sends the requests in order on the least busy client; see ``CurlHTTPClient/executeInOrder(_:)``.
    public func executeInOrder(_ requests: [HTTPRequest]) async -> [Result<HTTPResponse, HTTPClientError>] {
        let index = reserveClient()
        defer { releaseClient(index) }
        return await clients[index].executeInOrder(requests)
    }

    private func reserveClient() -> Int {
        inProgress.withLock { counts in
            let index = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            counts[index] += 1
            return index
        }
    }

    private func releaseClient(_ index: Int) {
        inProgress.withLock { $0[index] -= 1 }
    }
}
