import Foundation
import Glibc
import LogsCore
import LogsHTTP
import Testing

@Suite("Bad input")
struct BadInputTests {
    /// A request that must get `status` and a JSON error.
    struct Case: Sendable, CustomStringConvertible {
        var method: String
        var path: String
        var body: Data = Data()
        var status = 400
        var token = true

        var description: String { "\(method) \(path)" }
    }

    static let cases: [Case] = [
        Case(method: "GET", path: "/logs/abc"),
        Case(method: "GET", path: "/logs/0"),
        Case(method: "GET", path: "/logs/99999999999"),
        Case(method: "GET", path: "/logs/2147483648"),
        Case(method: "GET", path: "/logs/42?by=name"),
        Case(method: "GET", path: "/logs/abc/id"),
        Case(method: "GET", path: "/logs/1e3/stream"),
        Case(method: "PUT", path: "/logs/-1", body: Data("x".utf8)),
        Case(method: "PUT", path: "/logs/42?removed_by=me", body: Data("x".utf8)),
        Case(method: "PUT", path: "/logs/42", body: Data([0x66, 0xFF, 0xFE])),
        Case(method: "POST", path: "/logs/multi", body: Data("[{".utf8)),
        Case(method: "POST", path: "/logs/multi", body: Data(#"{"job_id": 1}"#.utf8)),
        Case(method: "POST", path: "/logs/multi", body: Data(#"[{"job_id": 4294967296}]"#.utf8)),
        Case(method: "POST", path: "/logs/multi", body: Data(#"[{"job_id": 1, "content": 5}]"#.utf8)),
        Case(method: "GET", path: "/log-parts/abc"),
        Case(method: "GET", path: "/log-parts/42?after=x"),
        Case(method: "GET", path: "/log-parts/42?part_numbers=1,a"),
        Case(method: "GET", path: "/log-parts/42?require_all=maybe"),
        Case(method: "GET", path: "/log-parts/42?content=nope"),
        Case(method: "PUT", path: "/log-parts/42/abc", body: Data("{}".utf8)),
        Case(method: "PUT", path: "/log-parts/42/2147483648", body: Data("{}".utf8)),
        Case(method: "PUT", path: "/log-parts/42/1", body: Data("{\"@type\":".utf8)),
        Case(method: "PUT", path: "/log-parts/42/1", body: Data([0x7B, 0xFF, 0x7D])),
        Case(method: "PUT", path: "/log-parts/42/1", body: Data("[]".utf8)),
        Case(
            method: "PUT", path: "/log-parts/42/1",
            body: Data(#"{"@type":"log_part","encoding":"base64","content":7}"#.utf8)),
        Case(method: "POST", path: "/log-parts/multi", body: Data("{}".utf8)),
        Case(
            method: "POST", path: "/log-parts/multi",
            body: Data(#"[{"@type":"log_part","encoding":"base64","job_id":"x","number":"1"}]"#.utf8)),
        Case(
            method: "POST", path: "/log-parts/multi",
            body: Data(#"[{"@type":"log_part","encoding":"base64","job_id":1,"number":"first"}]"#.utf8)),
        // Found by schemathesis: a tok that is not a string was accepted.
        Case(
            method: "POST", path: "/log-parts/multi",
            body: Data(#"[{"@type":"log_part","encoding":"base64","job_id":1,"number":"1","tok":{"a":1}}]"#.utf8)),
        Case(method: "GET", path: "/nowhere", status: 404),
        Case(method: "PATCH", path: "/logs/42", status: 405),
        // Found by schemathesis: the literal route shadows the :job_id route on this path.
        Case(method: "GET", path: "/log-parts/multi", status: 405),
        Case(method: "PUT", path: "/logs/multi", status: 405),
    ]

    @Test("bad request gets a JSON 4xx", arguments: cases)
    func badRequest(_ testCase: Case) async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send(testCase.method, testCase.path, token: testCase.token, body: testCase.body)
        #expect(response.status == testCase.status, "\(testCase): \(response.text)")
        #expect(response.errorMessage?.isEmpty == false, "\(testCase): \(response.text)")
    }

    /// Sends raw request bytes with `Connection: close` and returns the parsed response.
    private func sendRaw(_ server: APITestServer, _ head: [UInt8], body: String = "") async throws -> TestResponse {
        let request = Data(head) + Data("Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        let port = server.port
        let raw = try await server.onClientThread { try LoopbackHTTPClient.exchange(request, port: port) }
        return try LoopbackHTTPClient.parse(raw)
    }

    @Test("NUL byte in target or header gets 400")
    func nulByte() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/1", token: true, body: Data("kept".utf8))
        let token = Array("Authorization: token \(APITestServer.authToken)\r\n".utf8)
        let cases: [(name: String, head: [UInt8], message: String)] = [
            ("%00 in path", Array("GET /logs/1%00 HTTP/1.1\r\n".utf8) + token, "path or query"),
            ("%00 inside segment", Array("GET /logs/1%002 HTTP/1.1\r\n".utf8) + token, "path or query"),
            ("%00 in query", Array("GET /logs/1?by=job_id%00x HTTP/1.1\r\n".utf8) + token, "path or query"),
            (
                "raw NUL in path", Array("GET /logs/1".utf8) + [0] + Array("9 HTTP/1.1\r\n".utf8) + token,
                "path or query"
            ),
            (
                "NUL in token",
                Array("GET /logs/1 HTTP/1.1\r\nAuthorization: token \(APITestServer.authToken)".utf8) + [0]
                    + Array("def\r\n".utf8), "\"Authorization\""
            ),
            (
                "NUL before value",
                Array("GET /logs/1 HTTP/1.1\r\nAuthorization:".utf8) + [0]
                    + Array(" token \(APITestServer.authToken)\r\n".utf8), "\"Authorization\""
            ),
            (
                "NUL in other header",
                Array("GET /logs/1 HTTP/1.1\r\n".utf8) + token + Array("X-Trace: a".utf8) + [0]
                    + Array("b\r\nAccept: */*\r\n".utf8), "\"X-Trace\""
            ),
        ]
        for testCase in cases {
            let response = try await sendRaw(server, testCase.head + Array("Host: x\r\n".utf8))
            #expect(response.status == 400, "\(testCase.name): \(response.text)")
            #expect(response.errorMessage?.contains("NUL byte") == true, "\(testCase.name): \(response.text)")
            #expect(response.errorMessage?.contains(testCase.message) == true, "\(testCase.name): \(response.text)")
        }

        // A write whose token was cut at a NUL byte would store the log.
        let write = try await sendRaw(
            server,
            Array("PUT /logs/7 HTTP/1.1\r\nHost: x\r\nAuthorization: token \(APITestServer.authToken)".utf8) + [0]
                + Array("x\r\n".utf8), body: "text")
        #expect(write.status == 400)
        #expect(try await server.store.log(jobID: JobID(7)) == nil)
    }

    @Test("header layout check passes ordinary requests")
    func headerLayoutPasses() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/1", token: true, body: Data("kept".utf8))
        let long = String(repeating: "v", count: 12_000)
        let requests: [(name: String, head: String)] = [
            (
                "long header",
                "GET /logs/1 HTTP/1.1\r\nX-Long: \(long)\r\nAuthorization: token \(APITestServer.authToken)\r\n"
            ),
            ("bare LF", "GET /logs/1 HTTP/1.1\nAuthorization: token \(APITestServer.authToken)\nX-Empty:\n"),
            ("spaces and tabs", "GET /logs/1%3F HTTP/1.1\r\nAuthorization:  \ttoken \(APITestServer.authToken)  \r\n"),
            (
                "encoded percent",
                "GET /logs/1?by=job_id&x=%2500 HTTP/1.1\r\nAuthorization: token \(APITestServer.authToken)\r\n"
            ),
        ]
        for request in requests {
            let response = try await sendRaw(server, Array((request.head + "Host: x\r\n").utf8))
            #expect(response.errorMessage?.contains("NUL byte") != true, "\(request.name): \(response.text)")
        }
        let long200 = try await sendRaw(server, Array((requests[0].head + "Host: x\r\n").utf8))
        #expect(long200.status == 200)
        let encoded = try await sendRaw(server, Array((requests[3].head + "Host: x\r\n").utf8))
        #expect(encoded.status == 200)
    }

    @Test("truncated body leaves the server serving")
    func truncatedBody() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let port = server.port
        try await server.onClientThread {
            let socketDescriptor = try LoopbackHTTPClient.connectedSocket(port: port, receiveTimeout: 1)
            let request = "PUT /logs/42 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b"
            try LoopbackHTTPClient.sendBytes(socketDescriptor, Data(request.utf8))
            close(socketDescriptor)
        }
        #expect(try await server.send("GET", "/uptime").status == 200)
        #expect(try await server.store.log(jobID: JobID(42)) == nil)
    }

    @Test("slow client is disconnected after the idle timeout")
    func slowClient() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.connectionTimeout = .seconds(1)
        let server = try APITestServer(server: configuration)
        defer { Task { await server.stop() } }
        let port = server.port
        let started = ContinuousClock.now
        let received = try await server.onClientThread {
            let socketDescriptor = try LoopbackHTTPClient.connectedSocket(port: port, receiveTimeout: 5)
            defer { close(socketDescriptor) }
            try LoopbackHTTPClient.sendBytes(socketDescriptor, Data("GET /uptime HTTP/1.1\r\nHost:".utf8))
            return try LoopbackHTTPClient.receiveUntilClosed(socketDescriptor)
        }
        #expect(received.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(try await server.send("GET", "/uptime").status == 200)
    }

    @Test("random bytes at the socket never crash the server")
    func randomBytes() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let port = server.port
        let statuses = try await server.onClientThread {
            var generator = SystemRandomNumberGenerator()
            var statuses: [Int] = []
            for round in 0..<200 {
                var bytes = (0..<Int.random(in: 1...600, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                if round % 2 == 0 {
                    // Half the inputs start like a request so the parser goes deeper.
                    bytes = Array("PUT /log-parts/42/1 HTTP/1.1\r\nContent-Length: 40\r\n".utf8) + bytes
                }
                // libmicrohttpd keeps some half-closed connections with an unfinished header, such
                // as a folded line, until its idle timeout, so the client gives up after 1 s.
                guard
                    let raw = try? LoopbackHTTPClient.exchange(
                        Data(bytes), port: port, receiveTimeout: 1, closesWriting: true),
                    let response = try? LoopbackHTTPClient.parse(raw)
                else { continue }
                statuses.append(response.status)
            }
            return statuses
        }
        #expect(!statuses.contains(500), "statuses: \(statuses)")
        #expect(try await server.send("GET", "/uptime").status == 200)
    }
}
