import Foundation
import LogsCore
import LogsHTTP
import Synchronization
import Testing

@Suite("HTTP server and router")
struct ServerTests {
    @Test("unknown route returns 404 JSON")
    func unknownRoute() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("GET", "/nothing/here")
        #expect(response.status == 404)
        #expect(response.errorMessage == "no route for GET /nothing/here")
    }

    @Test("wrong method returns 405 with Allow")
    func wrongMethod() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("DELETE", "/uptime")
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET, HEAD")
        #expect(response.errorMessage != nil)
    }

    @Test("uptime reports service fields")
    func uptime() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("GET", "/uptime")
        #expect(response.status == 200)
        let body = try response.json()
        for key in ["uptime", "greeting", "pong", "now", "version"] {
            #expect(body[key] != nil, "missing \(key)")
        }
        #expect(body["pong"] as? String == "PONG")
        #expect(body["greeting"] as? String == "hello, human 👋!")
    }

    /// A maintenance switch that cannot be read while `isDown` is set.
    final class UnreadableSwitch: MaintenanceSwitch {
        let isDown = Atomic<Bool>(true)

        struct Down: Error {}

        func remainingTime() async throws -> Duration? {
            guard !isDown.load(ordering: .relaxed) else { throw Down() }
            return nil
        }

        func enable(for duration: Duration) async throws {}

        func disable() async throws {}
    }

    @Test("uptime outage logged once per run")
    func uptimeOutageLoggedOnce() async throws {
        let maintenance = UnreadableSwitch()
        let server = try APITestServer(adjustPipeline: { $0.maintenance = maintenance })
        defer { Task { await server.stop() } }
        for _ in 0..<3 {
            #expect(try await server.send("GET", "/uptime").status == 503)
        }
        maintenance.isDown.store(false, ordering: .relaxed)
        #expect(try await server.send("GET", "/uptime").status == 200)

        let messages = server.logs.entries.map(\.message)
        #expect(messages.filter { $0.hasPrefix("uptime check could not read") }.count == 1)
        let recovered = server.logs.entries.filter { $0.message == "uptime check reads the maintenance switch again" }
        #expect(recovered.count == 1)
        #expect(recovered.first?.metadata["failed_checks"] == "3")
    }

    @Test("uptime now is the wall clock")
    func uptimeNowIsWallClock() async throws {
        let clock = ManualClock(now: Date(timeIntervalSince1970: 1_000_000_000))
        let server = try APITestServer(clock: clock)
        defer { Task { await server.stop() } }
        clock.advance(by: .seconds(90))
        let before = Date()
        let response = try await server.send("GET", "/uptime")
        let after = Date()
        let body = try response.json()
        let now = try #require(body["now"] as? String)
        let parsed = try #require(TimestampFormat.parse(now), "unparsable now: \(now)")
        // The format has whole seconds, so the bounds are widened to whole seconds.
        #expect(parsed >= before.addingTimeInterval(-1))
        #expect(parsed <= after.addingTimeInterval(1))
        #expect(body["uptime"] as? Double == 90)
    }

    @Test("body over the limit returns 413")
    func bodyOverLimit() async throws {
        let server = try APITestServer(settings: LogsAPI.Settings(maximumLogBodySize: 1000, maximumPartBodySize: 100))
        defer { Task { await server.stop() } }
        let response = try await server.send("PUT", "/logs/42", token: true, body: Data(repeating: 65, count: 1001))
        #expect(response.status == 413)
        #expect(response.errorMessage?.contains("1000 bytes") == true)
        let small = try await server.send("PUT", "/logs/42", token: true, body: Data(repeating: 65, count: 1000))
        #expect(small.status == 200)
    }

    @Test("chunked body over the limit returns 413")
    func chunkedBodyOverLimit() async throws {
        let server = try APITestServer(settings: LogsAPI.Settings(maximumLogBodySize: 1000, maximumPartBodySize: 100))
        defer { Task { await server.stop() } }
        let chunk = String(repeating: "A", count: 600)
        let request =
            "PUT /logs/42 HTTP/1.1\r\nHost: x\r\nAuthorization: token \(APITestServer.authToken)\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
        let port = server.port
        let raw = try await server.onClientThread {
            try LoopbackHTTPClient.exchange(Data(request.utf8), port: port)
        }
        let response = try LoopbackHTTPClient.parse(raw)
        #expect(response.status == 413)
    }

    @Test("access log line per request without secrets")
    func accessLog() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("GET", "/logs/42/id", token: true)
        try await Task.sleep(for: .milliseconds(100))
        let lines = server.logs.entries.filter { $0.message == "request" }
        let line = try #require(lines.last)
        #expect(line.metadata["method"]?.description == "GET")
        #expect(line.metadata["route"]?.description == "/logs/:job_id/id")
        #expect(line.metadata["status"]?.description == "404")
        #expect(line.metadata["job_id"]?.description == "42")
        #expect(line.metadata["duration_ms"] != nil)
        let everything = server.logs.entries.map { "\($0.message) \($0.metadata)" }.joined()
        #expect(!everything.contains(APITestServer.authToken))
    }

    @Test("metrics endpoint serves Prometheus text")
    func metrics() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("GET", "/uptime")
        try await Task.sleep(for: .milliseconds(100))
        let response = try await server.send("GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(response.text.contains("travis_logs_http_requests_total{"))
        #expect(response.text.contains("route=\"/uptime\""))
    }

    @Test("repeated failures log one error per route")
    func repeatedFailuresLogOnce() async throws {
        struct StoreDown: Error, CustomStringConvertible {
            var description: String { "connection_failed: could not connect to server" }
        }
        let isDown = Mutex(true)
        var router = Router()
        for pattern in ["/first/:id", "/second"] {
            router.add("GET", pattern) { _ in
                if isDown.withLock({ $0 }) { throw StoreDown() }
                return .json(["ok": true])
            }
        }
        let logs = RecordingLogHandler()
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.bindAddress = "127.0.0.1"
        let server = HTTPServer(
            router: router, configuration: configuration, logger: Logger(label: "test") { _ in logs })
        try server.start()
        let port = UInt16(server.port)
        let executor = ThreadExecutor(name: "failure-run-client")
        defer { executor.shutdown() }
        func get(_ path: String) async throws -> Int {
            try await executor.run { try LoopbackHTTPClient.request("GET", path, port: port).status }
        }

        for id in 1...3 {
            #expect(try await get("/first/\(id)") == 500)
        }
        #expect(try await get("/second") == 500)
        isDown.withLock { $0 = false }
        #expect(try await get("/first/4") == 200)
        #expect(try await get("/first/5") == 200)
        await server.shutdown()

        let failures = logs.entries.filter { $0.message.hasPrefix("request failed") }
        let errors = failures.filter { $0.level == .error }
        #expect(errors.map { $0.metadata["route"]?.description } == ["/first/:id", "/second"])
        #expect(errors.first?.metadata["error"]?.description == "connection_failed: could not connect to server")
        let repeats = failures.filter { $0.level == .debug }
        #expect(repeats.map { $0.metadata["path"]?.description } == ["/first/2", "/first/3"])
        let recoveries = logs.entries.filter { $0.message == "requests work again" }
        #expect(recoveries.count == 1)
        #expect(recoveries.first?.level == .info)
        #expect(recoveries.first?.metadata["route"]?.description == "/first/:id")
        #expect(recoveries.first?.metadata["failed_requests"]?.description == "3")
    }

    @Test("slow handler times out with 503")
    func handlerTimeout() async throws {
        var router = Router()
        router.add("GET", "/slow") { _ in
            try await Task.sleep(for: .seconds(5))
            return .json(["done": true])
        }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.requestTimeout = .milliseconds(200)
        let server = HTTPServer(router: router, configuration: configuration)
        try server.start()
        let port = UInt16(server.port)
        let executor = ThreadExecutor(name: "timeout-client")
        defer { executor.shutdown() }
        let response = try await executor.run { try LoopbackHTTPClient.request("GET", "/slow", port: port) }
        #expect(response.status == 503)
        #expect(response.errorMessage?.contains("timed out") == true)
        await server.shutdown()
    }

    @Test("shutdown finishes a request in progress")
    func shutdownFinishesInFlight() async throws {
        var router = Router()
        router.add("GET", "/slow") { _ in
            try await Task.sleep(for: .milliseconds(300))
            return .json(["done": true])
        }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(router: router, configuration: configuration)
        try server.start()
        let port = UInt16(server.port)
        let executor = ThreadExecutor(name: "slow-client")
        defer { executor.shutdown() }
        async let response = executor.run { try LoopbackHTTPClient.request("GET", "/slow", port: port) }
        try await Task.sleep(for: .milliseconds(100))
        await server.shutdown()
        let finished = try await response
        #expect(finished.status == 200)
        #expect(throws: (any Error).self) {
            try LoopbackHTTPClient.request("GET", "/slow", port: port)
        }
    }
}
