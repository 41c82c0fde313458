import Foundation
import LogsCore
import LogsHTTP
import Synchronization
import Testing

@Suite("Routes with a preparer")
struct PreparedRouteTests {
    /// Starts a server with `router` on a free loopback port, sends one GET per path from a
    /// thread of its own, and stops the server.
    private func responses(
        _ router: Router, paths: [String], headers: [String: String] = [:], requestTimeout: Duration = .seconds(30)
    ) async throws -> [TestResponse] {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.bindAddress = "127.0.0.1"
        configuration.requestTimeout = requestTimeout
        let server = HTTPServer(router: router, configuration: configuration)
        try server.start()
        let port = UInt16(server.port)
        let executor = ThreadExecutor(name: "prepared-route-client")
        defer { executor.shutdown() }
        var responses: [TestResponse] = []
        for path in paths {
            responses.append(
                try await executor.run { try LoopbackHTTPClient.request("GET", path, port: port, headers: headers) })
        }
        await server.shutdown()
        return responses
    }

    @Test("preparer answers without the handler")
    func respondsAtOnce() async throws {
        let handlerCalls = Atomic(0)
        var router = Router()
        router.add(
            "GET", "/thing/:name",
            prepare: { request in .respond(.json(["name": .string(request.pathParameters["name"] ?? "")])) },
            handler: { _ in
                handlerCalls.add(1, ordering: .relaxed)
                return .json(["from": "handler"])
            })

        let response = try #require(try await responses(router, paths: ["/thing/one"]).first)
        #expect(response.status == 200)
        #expect(try response.json()["name"] as? String == "one")
        #expect(handlerCalls.load(ordering: .relaxed) == 0)
    }

    @Test("completion from another thread sends the response")
    func completesFromThread() async throws {
        var router = Router()
        router.add(
            "GET", "/later",
            prepare: { _ in
                .suspend { completion in
                    Thread.detachNewThread {
                        Thread.sleep(forTimeInterval: 0.05)
                        completion.respond(.json(["from": "thread"]))
                    }
                }
            },
            handler: { _ in .json(["from": "handler"]) })

        let response = try #require(try await responses(router, paths: ["/later"]).first)
        #expect(response.status == 200)
        #expect(try response.json()["from"] as? String == "thread")
    }

    @Test("runHandler and runHandler after suspend use the handler")
    func fallsBackToHandler() async throws {
        var router = Router()
        router.add(
            "GET", "/choice/:kind",
            prepare: { request in
                request.pathParameters["kind"] == "now" ? .runHandler : .suspend { $0.runHandler() }
            },
            handler: { request in
                try await Task.sleep(for: .milliseconds(10))
                if request.pathParameters["kind"] == "bad" {
                    throw HTTPError.rejected(400, "bad kind")
                }
                return .json(["kind": .string(request.pathParameters["kind"] ?? "")])
            })

        let results = try await responses(router, paths: ["/choice/now", "/choice/after", "/choice/bad"])
        #expect(results.map(\.status) == [200, 200, 400])
        #expect(try results[0].json()["kind"] as? String == "now")
        #expect(try results[1].json()["kind"] as? String == "after")
        #expect(results[2].errorMessage == "bad kind")
    }

    @Test("uncompleted request times out with 503")
    func completionTimesOut() async throws {
        let late = Mutex<ResponseCompletion?>(nil)
        var router = Router()
        router.add(
            "GET", "/never",
            prepare: { _ in .suspend { completion in late.withLock { $0 = completion } } },
            handler: { _ in .json(["from": "handler"]) })

        let response = try #require(
            try await responses(router, paths: ["/never"], requestTimeout: .milliseconds(200)).first)
        #expect(response.status == 503)
        #expect(response.errorMessage?.contains("timed out") == true)
        // A completion after the timeout does nothing.
        late.withLock { $0 }?.respond(.json(["from": "late"]))
    }

    @Test("preparer reads headers from the connection")
    func preparerReadsHeaders() async throws {
        var router = Router()
        router.add(
            "GET", "/header",
            prepare: { request in
                .respond(
                    .json([
                        "token": .string(request.header("x-token") ?? "none"),
                        "missing": .string(request.header("X-Missing") ?? "none"),
                        "collected": .integer(Int64(request.headers.count)),
                    ]))
            },
            handler: { _ in .json(["from": "handler"]) })

        let response = try #require(
            try await responses(router, paths: ["/header"], headers: ["X-Token": "secret"]).first)
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["token"] as? String == "secret")
        #expect(json["missing"] as? String == "none")
        #expect(json["collected"] as? Int == 0)
    }

    @Test("handler after suspend gets every header")
    func handlerAfterSuspendGetsHeaders() async throws {
        var router = Router()
        router.add(
            "GET", "/fallback/:kind",
            prepare: { _ in
                .suspend { completion in
                    Thread.detachNewThread { completion.runHandler() }
                }
            },
            handler: { request in
                .json([
                    "token": .string(request.headers["x-token"] ?? "none"),
                    "kind": .string(request.pathParameters["kind"] ?? "none"),
                ])
            })

        let response = try #require(
            try await responses(router, paths: ["/fallback/slow"], headers: ["X-Token": "secret"]).first)
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["token"] as? String == "secret")
        #expect(json["kind"] as? String == "slow")
    }

    @Test("router matches paths by segment")
    func routerMatchesSegments() {
        var router = Router()
        router.add("GET", "/logs/:id") { _ in .empty(204) }
        router.add("GET", "/logs/:job_id/id") { _ in .empty(204) }
        router.add("POST", "/logs/multi") { _ in .empty(204) }

        let cases: [(path: String, pattern: String?, parameters: [String: String])] = [
            ("/logs/1", "/logs/:id", ["id": "1"]),
            ("/logs/42/id", "/logs/:job_id/id", ["job_id": "42"]),
            ("/logs/1/", nil, [:]),
            ("/logs/", nil, [:]),
            ("/logs", nil, [:]),
            ("//logs/1", nil, [:]),
            ("/logs/1/id/x", nil, [:]),
            ("/logsx/1", nil, [:]),
        ]
        for (path, pattern, parameters) in cases {
            switch router.match(method: "GET", path: path) {
            case .found(let route, let found):
                #expect(route.pattern == pattern, "path \(path)")
                #expect(found == parameters, "path \(path)")
            case .methodNotAllowed, .notFound:
                #expect(pattern == nil, "path \(path)")
            }
        }
        guard case .methodNotAllowed(let allowed) = router.match(method: "GET", path: "/logs/multi") else {
            Issue.record("GET /logs/multi should be 405")
            return
        }
        #expect(allowed == ["POST"])
    }
}
