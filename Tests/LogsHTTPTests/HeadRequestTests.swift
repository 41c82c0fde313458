import Foundation
import LogsCore
import LogsHTTP
import Testing

@Suite("HEAD requests")
struct HeadRequestTests {
    @Test("HEAD returns GET headers without body")
    func headMatchesGet() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("some text".utf8))
        // The second and third HEAD /logs/42 are served from the kept body on libmicrohttpd's
        // thread, and so is the second HEAD /uptime.
        let paths = [
            "/logs/42", "/logs/42", "/logs/42", "/logs/404", "/logs/42/id", "/log-parts/42", "/openapi.json",
            "/logs/abc",
        ]
        for path in paths {
            let get = try await server.send("GET", path, token: true)
            let head = try await server.send("HEAD", path, token: true)
            #expect(head.status == get.status, "HEAD \(path)")
            #expect(head.body.isEmpty, "HEAD \(path): \(head.text)")
            #expect(head.headers["content-type"] == get.headers["content-type"], "HEAD \(path)")
            #expect(head.headers["content-length"] == String(get.body.count), "HEAD \(path)")
        }
        for _ in 1...2 {
            let head = try await server.send("HEAD", "/uptime")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-type"] == "application/json;charset=utf-8")
            #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 0)
        }
        let metrics = try await server.send("HEAD", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.isEmpty)
        #expect(try await server.send("HEAD", "/logs/42").status == 403)
    }

    @Test("HEAD on a stream sends headers and closes")
    func headOnStream() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let port = server.port
        // Without `Connection: close`, so only the server ends the connection.
        let request =
            "HEAD /logs/42/stream HTTP/1.1\r\nHost: x\r\nAuthorization: token \(APITestServer.authToken)\r\n\r\n"
        let started = ContinuousClock.now
        let raw = try await server.onClientThread {
            try LoopbackHTTPClient.exchange(Data(request.utf8), port: port, receiveTimeout: 3)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        let head = try LoopbackHTTPClient.parse(raw)
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "text/event-stream")
        #expect(head.headers["transfer-encoding"] == nil)
        #expect(head.body.isEmpty, "\(head.text)")
        let next = try await server.send("GET", "/uptime")
        #expect(next.status == 200)
    }

    @Test("router sends HEAD to the GET route")
    func routerSendsHeadToGet() {
        var router = Router()
        router.add("GET", "/things/:id") { _ in .empty(204) }
        router.add("HEAD", "/own") { _ in .empty(204) }
        router.add("GET", "/own") { _ in .empty(204) }
        router.add("POST", "/posts") { _ in .empty(204) }

        guard case .found(let route, let parameters) = router.match(method: "HEAD", path: "/things/7") else {
            Issue.record("HEAD /things/7 should find the GET route")
            return
        }
        #expect(route.method == "GET")
        #expect(parameters == ["id": "7"])
        guard case .found(let own, _) = router.match(method: "HEAD", path: "/own") else {
            Issue.record("HEAD /own should find its HEAD route")
            return
        }
        #expect(own.method == "HEAD")
        guard case .methodNotAllowed(let allowed) = router.match(method: "HEAD", path: "/posts") else {
            Issue.record("HEAD /posts should be 405")
            return
        }
        #expect(allowed == ["POST"])
        guard case .methodNotAllowed(let getAllowed) = router.match(method: "PUT", path: "/things/7") else {
            Issue.record("PUT /things/7 should be 405")
            return
        }
        #expect(getAllowed == ["GET", "HEAD"])
    }
}
