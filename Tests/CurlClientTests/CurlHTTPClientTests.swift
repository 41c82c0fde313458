import CurlClient
import Foundation
import TestSupport
import Testing

@Suite(
    "libcurl HTTP client",
    .enabled(if: TestEnvironment.shouldRun(needing: "LOGS_TEST_PYTHON"), "LOGS_TEST_PYTHON is not set")
)
struct CurlHTTPClientTests {
    let server: LocalPythonServer

    init() async throws {
        server = try await HTTPTestServer.shared()
    }

    @Test("GET returns status, headers and body")
    func getReturnsResponse() async throws {
        let client = try CurlHTTPClient(name: "test-get")

        let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/hello"))

        #expect(response.status == 200)
        #expect(response.header("x-test") == "yes")
        #expect(response.header("Content-Length") == "5")
        #expect(String(decoding: response.body, as: UTF8.self) == "hello")
    }

    @Test("HEAD returns headers without body")
    func headReturnsHeaders() async throws {
        let client = try CurlHTTPClient(name: "test-head")

        let response = try await client.execute(HTTPRequest(method: "HEAD", url: server.baseURL + "/hello"))

        #expect(response.status == 200)
        #expect(response.header("Content-Length") == "5")
        #expect(response.body.isEmpty)
    }

    @Test("error status is a response")
    func errorStatusIsResponse() async throws {
        let client = try CurlHTTPClient(name: "test-404")

        let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/missing"))

        #expect(response.status == 404)
        #expect(!response.isSuccess)
        #expect(String(decoding: response.body, as: UTF8.self) == "not here")
    }

    @Test("PUT sends body and headers", arguments: ["PUT", "POST"])
    func putSendsBodyAndHeaders(method: String) async throws {
        let client = try CurlHTTPClient(name: "test-put")
        let body = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0) })

        let response = try await client.execute(
            HTTPRequest(
                method: method, url: server.baseURL + "/echo",
                headers: [("Content-Type", "text/plain"), ("X-Custom", "a b")], body: body))

        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.method == method)
        #expect(echo.length == body.count)
        #expect(echo.sha256 == Digest.hex(Digest.sha256(body)))
        #expect(echo.headers["content-type"] == "text/plain")
        #expect(echo.headers["x-custom"] == "a b")
        #expect(echo.headers["expect"] == nil)
    }

    @Test("empty PUT body sends zero length")
    func emptyPutBody() async throws {
        let client = try CurlHTTPClient(name: "test-empty")

        let response = try await client.execute(HTTPRequest(method: "PUT", url: server.baseURL + "/echo", body: Data()))

        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.length == 0)
        #expect(echo.headers["content-length"] == "0")
    }

    @Test("handle is reused across requests")
    func handleIsReused() async throws {
        let client = try CurlHTTPClient(name: "test-reuse")

        for _ in 0..<5 {
            let response = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/hello"))
            #expect(response.status == 200)
        }
        let put = try await client.execute(
            HTTPRequest(method: "PUT", url: server.baseURL + "/echo", body: Data("x".utf8)))
        let get = try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/hello"))

        #expect(put.status == 200)
        #expect(String(decoding: get.body, as: UTF8.self) == "hello")
    }

    @Test("total timeout gives timedOut")
    func totalTimeout() async throws {
        let options = CurlHTTPClient.Options(timeout: .milliseconds(300))
        let client = try CurlHTTPClient(name: "test-timeout", options: options)

        let error = try await #require(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/slow"))
        }

        #expect(error.code == .timedOut)
        #expect(error.curlCode == 28)
        #expect(error.isTransient)
    }

    @Test("refused connection gives connectionFailed")
    func refusedConnection() async throws {
        let client = try CurlHTTPClient(name: "test-refused")
        let closedPort = try await unusedPort()

        let error = try await #require(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(closedPort)/x?signature=s"))
        }

        #expect(error.code == .connectionFailed)
        #expect(error.curlCode == 7)
        #expect(error.isTransient)
        #expect(!error.description.contains("signature"))
    }

    @Test("oversized body gives responseTooLarge")
    func oversizedBody() async throws {
        let client = try CurlHTTPClient(name: "test-large", options: .init(maximumResponseBodySize: 1000))

        let error = try await #require(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(method: "GET", url: server.baseURL + "/large"))
        }

        #expect(error.code == .responseTooLarge)
        #expect(!error.isTransient)
    }

    @Test("unsupported scheme gives invalidRequest")
    func unsupportedScheme() async throws {
        let client = try CurlHTTPClient(name: "test-scheme")

        let error = try await #require(throws: HTTPClientError.self) {
            try await client.execute(HTTPRequest(method: "GET", url: "file:///etc/hostname"))
        }

        #expect(error.code == .invalidRequest)
    }

    @Test("pool runs requests side by side")
    func poolRunsRequestsConcurrently() async throws {
        let pool = try CurlHTTPClientPool(name: "test-pool", size: 3)
        let url = server.baseURL + "/barrier"

        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask { try await pool.execute(HTTPRequest(method: "GET", url: url)).status }
            }
            for try await status in group {
                #expect(status == 200, "a request reached the server alone")
            }
        }
    }
}

private struct Echo: Decodable {
    var method: String
    var headers: [String: String]
    var length: Int
    var sha256: String
}

/// Returns a loopback port that nothing listens on: bound and closed again, so a connection is refused.
private func unusedPort() async throws -> Int {
    let output = try await PythonProcess.run(
        "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
    return Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 9
}
