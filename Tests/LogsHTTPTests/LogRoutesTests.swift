import Foundation
import LogsCore
import LogsHTTP
import Testing

@Suite("Log routes")
struct LogRoutesTests {
    @Test("PUT /logs replaces content and returns the row")
    func putLogReplacesContent() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("PUT", "/logs/42", token: true, body: Data("hello, world".utf8))
        #expect(response.status == 200)
        let body = try response.json()
        #expect(body["@type"] as? String == "log")
        #expect(body["job_id"] as? Int == 42)
        #expect(body["content"] as? String == "hello, world")
        #expect(body.keys.contains("removed_by"))
        #expect(body["aggregated_at"] is String)
        let stored = try await server.store.log(jobID: JobID(42))
        #expect(stored?.content == "hello, world")
    }

    @Test("PUT /logs with empty body or clear=1 clears content")
    func putLogClears() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("text".utf8))
        let empty = try await server.send("PUT", "/logs/42", token: true)
        #expect(empty.status == 200)
        #expect(try empty.json()["content"] is NSNull)
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("text".utf8))
        let cleared = try await server.send("PUT", "/logs/42?clear=1&source=admin", token: true, body: Data("x".utf8))
        #expect(cleared.status == 200)
        #expect(try cleared.json()["content"] is NSNull)
    }

    @Test("PUT /logs treats an empty clear as absent")
    func putLogEmptyClear() async throws {
        // Found by schemathesis: `clear=` was rejected with 400.
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("PUT", "/logs/42?clear=", token: true, body: Data("kept".utf8))
        #expect(response.status == 200)
        #expect(try response.json()["content"] as? String == "kept")
    }

    @Test("PUT /logs with removed_by marks the log removed")
    func putLogRemovedBy() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("PUT", "/logs/42?removed_by=7", token: true, body: Data("gone".utf8))
        let body = try response.json()
        #expect(body["removed_by"] as? Int == 7)
        #expect(body["removed_at"] is String)
    }

    @Test("token auth: missing 403, wrong 403, unset 500")
    func tokenAuthentication() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let missing = try await server.send("PUT", "/logs/42")
        #expect(missing.status == 403)
        let wrong = try await server.send("PUT", "/logs/42", headers: ["Authorization": "token not-very-secret"])
        #expect(wrong.status == 403)
        #expect(wrong.errorMessage != nil)

        let unset = try APITestServer(authToken: nil)
        defer { Task { await unset.stop() } }
        let response = try await unset.send("PUT", "/logs/42", headers: ["Authorization": "token "])
        #expect(response.status == 500)
        #expect(response.errorMessage?.contains("AUTH_TOKEN") == true)
    }

    @Test("POST /logs/multi updates every log")
    func postLogsMulti() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let items: [[String: Any]] = [
            ["job_id": 1, "content": "one"], ["job_id": "2", "content": "two", "removed_by": 9], ["job_id": 3],
        ]
        let response = try await server.send("POST", "/logs/multi", token: true, json: items)
        #expect(response.status == 204)
        #expect(try await server.store.log(jobID: JobID(1))?.content == "one")
        #expect(try await server.store.log(jobID: JobID(2))?.removedBy == 9)
        #expect(try await server.store.log(jobID: JobID(3))?.content == nil)
    }

    @Test("POST /logs/multi rejects an item without job_id")
    func postLogsMultiInvalid() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("POST", "/logs/multi", token: true, json: [["content": "x"]])
        #expect(response.status == 400)
        #expect(response.errorMessage?.contains("item 0") == true)
        #expect(try await server.store.log(jobID: JobID(1)) == nil)
    }

    @Test("GET /logs aggregates on demand with every column")
    func getLogAggregatesOnDemand() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            [
                NewLogPart(logID: logID, number: 1, content: "world", isFinal: true),
                NewLogPart(logID: logID, number: 0, content: "hello ", isFinal: false),
            ], at: Date())
        let response = try await server.send("GET", "/logs/42", token: true)
        #expect(response.status == 200)
        let body = try response.json()
        #expect(body["content"] as? String == "hello world")
        #expect(body["id"] as? Int == Int(logID.rawValue))
        #expect(body["@type"] as? String == "log")
        let columns = [
            "job_id", "removed_by_id", "created_at", "updated_at", "aggregated_at", "archived_at", "purged_at",
            "removed_at", "archiving", "archive_verified", "scan_status", "censored", "scan_ended_at",
        ]
        for column in columns {
            #expect(body.keys.contains(column), "missing \(column)")
        }
        #expect(!body.keys.contains("removed_by"))
        let created = try #require(body["created_at"] as? String)
        #expect(created.hasSuffix(" UTC"))

        let byID = try await server.send("GET", "/logs/\(logID.rawValue)?by=id", token: true)
        #expect(try byID.json()["job_id"] as? Int == 42)
    }

    @Test("GET /logs after PUT returns new content", arguments: ["", "?by=id"])
    func getLogAfterPut(query: String) async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("first".utf8))
        let logID = try #require(try await server.store.logID(forJobID: JobID(42)))
        let path = query.isEmpty ? "/logs/42" : "/logs/\(logID.rawValue)\(query)"

        let first = try await server.send("GET", path, token: true)
        let repeated = try await server.send("GET", path, token: true)
        #expect(try first.json()["content"] as? String == "first")
        #expect(repeated.body == first.body)

        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("second".utf8))
        let afterPut = try await server.send("GET", path, token: true)
        #expect(afterPut.status == 200)
        #expect(try afterPut.json()["content"] as? String == "second")
    }

    @Test("GET /logs shows columns changed in the store")
    func getLogAfterStoreChange() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("text".utf8))
        let logID = try #require(try await server.store.logID(forJobID: JobID(42)))
        let before = try await server.send("GET", "/logs/42", token: true)
        #expect(try before.json()["archived_at"] is NSNull)

        try await server.store.markArchiveVerified(logID: logID, at: Date())
        let after = try await server.send("GET", "/logs/42", token: true)
        #expect(try after.json()["archived_at"] is String)
        #expect(try after.json()["archive_verified"] as? Bool == true)
    }

    @Test("GET /logs shows parts stored after a GET")
    func getLogAfterParts() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        try await server.store.insertParts(
            [NewLogPart(logID: logID, number: 0, content: "one ", isFinal: false)], at: Date())
        let before = try await server.send("GET", "/logs/42", token: true)
        #expect(try before.json()["content"] as? String == "one ")

        try await server.store.insertParts(
            [NewLogPart(logID: logID, number: 1, content: "two", isFinal: true)], at: Date())
        let after = try await server.send("GET", "/logs/42", token: true)
        #expect(try after.json()["content"] as? String == "one two")
    }

    @Test("GET /logs returns 404 for an unknown job")
    func getLogNotFound() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let response = try await server.send("GET", "/logs/404", token: true)
        #expect(response.status == 404)
        #expect(response.errorMessage != nil)
    }

    @Test("GET /logs serves stand-ins for ignored and spoofed ids")
    func getLogStandIns() async throws {
        let server = try APITestServer { $0.logs.archiveSpoofing.minAcceptedJobID = 100 }
        defer { Task { await server.stop() } }
        await (server.pipeline.ignoredIDs as! InMemoryIgnoredIDs).ignore(jobID: JobID(500))
        let ignored = try await server.send("GET", "/logs/500", token: true).json()
        #expect(ignored["content"] as? String == "Your log is temporarily unavailable")
        #expect(ignored["job_id"] as? Int == 500)
        #expect(ignored["id"] is NSNull)
        #expect(ignored.keys.contains("removed_by"))
        let spoofed = try await server.send("GET", "/logs/50", token: true).json()
        #expect(spoofed["archive_verified"] as? Bool == true)
        #expect(spoofed["content"] is NSNull)
    }

    @Test("kept GET /logs body follows the row")
    func keptBodyFollowsRow() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("first".utf8))
        // The first GET keeps the body; the next ones check the row version before serving it.
        for _ in 1...2 {
            let kept = try await server.send("GET", "/logs/42", token: true)
            #expect(kept.status == 200)
            #expect(try kept.json()["content"] as? String == "first")
        }

        _ = try await server.pipeline.updater.update(LogContentUpdate(jobID: JobID(42), content: "second"))
        let changed = try await server.send("GET", "/logs/42", token: true)
        #expect(try changed.json()["content"] as? String == "second")
        let again = try await server.send("GET", "/logs/42", token: true)
        #expect(try again.json()["content"] as? String == "second")
    }

    @Test("kept GET /logs body serves concurrent requests")
    func keptBodyConcurrent() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let content = String(repeating: "line of text\n", count: 4000)
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data(content.utf8))
        let first = try await server.send("GET", "/logs/42", token: true)
        #expect(first.status == 200)

        // Every kept response queues the same libmicrohttpd response object.
        let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
            for _ in 1...16 {
                group.addTask { try await server.send("GET", "/logs/42", token: true) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(responses.count == 16)
        for response in responses {
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json;charset=utf-8")
            #expect(response.body == first.body)
        }
        #expect(try first.json()["content"] as? String == content)
    }

    @Test("kept GET /logs body still checks token and ignored ids")
    func keptBodyChecks() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        _ = try await server.send("PUT", "/logs/42", token: true, body: Data("text".utf8))
        _ = try await server.send("GET", "/logs/42", token: true)
        _ = try await server.send("GET", "/logs/42", token: true)

        let withoutToken = try await server.send("GET", "/logs/42")
        #expect(withoutToken.status == 403)
        let authorization = "token \(APITestServer.authToken)"
        for wrong in [authorization + "x", String(authorization.dropLast()), "Token " + APITestServer.authToken] {
            let wrongToken = try await server.send("GET", "/logs/42", headers: ["Authorization": wrong])
            #expect(wrongToken.status == 403, "Authorization: \(wrong)")
        }
        let badID = try await server.send("GET", "/logs/42?by=name", token: true)
        #expect(badID.status == 400)

        await (server.pipeline.ignoredIDs as! InMemoryIgnoredIDs).ignore(jobID: JobID(42))
        let ignored = try await server.send("GET", "/logs/42", token: true).json()
        #expect(ignored["content"] as? String == "Your log is temporarily unavailable")
    }

    @Test("GET /logs/:job_id/id returns the log id")
    func getLogID() async throws {
        let server = try APITestServer()
        defer { Task { await server.stop() } }
        let logID = try await server.store.findOrCreateLog(jobID: JobID(42), at: Date())
        let response = try await server.send("GET", "/logs/42/id", token: true)
        #expect(response.status == 200)
        let body = try response.json()
        #expect(body["id"] as? Int == Int(logID.rawValue))
        #expect(body["@type"] as? String == "log")
        #expect(try await server.send("GET", "/logs/43/id", token: true).status == 404)
    }
}
