import Foundation
import LogsCore
import LogsStorage
import TestSupport
import Testing

/// `travis-logs web` as a child process against a PostgreSQL database deployed with sqitch and
/// the Redis server that `script/services` starts.
@Suite(
    "travis-logs web process",
    .serialized,
    .enabled(
        if: BuiltExecutable.isAvailableOrCI && TestEnvironment.shouldRun(needing: "REDIS_URL", "DATABASE_URL"),
        "REDIS_URL or DATABASE_URL is unset, or travis-logs is not built; run script/test")
)
struct WebProcessTests {
    private static let token = "web-process-token"

    /// Runs `body` with a deployed throwaway database and `web` serving it on a free port.
    private func withWeb(_ body: (_ baseURL: String, _ databaseURL: String) async throws -> Void) async throws {
        let adminURL = try TestEnvironment.require("DATABASE_URL")
        let name = "travis_logs_web_\(UUID().uuidString.prefix(8).lowercased())"
        try await PostgresTestSQL.execute("CREATE DATABASE \(name)", on: adminURL)
        let databaseURL = PostgresTestSQL.url(adminURL, database: name)
        defer {
            Task { try? await PostgresTestSQL.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: adminURL) }
        }
        let target = "db:pg://" + databaseURL.replacingOccurrences(of: "postgres://", with: "")
        let sqitch = try await runCommand("sqitch", ["--quiet", "deploy", target], in: Self.sqitchDirectory)
        try #require(sqitch.status == 0, "sqitch deploy failed: \(sqitch.output)")

        let port = try freeLoopbackPort()
        let web = try ToolProcess(
            ["web"],
            environment: [
                "DATABASE_URL": databaseURL, "REDIS_URL": try TestEnvironment.require("REDIS_URL"),
                "AUTH_TOKEN": Self.token, "PORT": "\(port)", "BIND_ADDRESS": "127.0.0.1",
            ])
        let baseURL = "http://127.0.0.1:\(port)"
        let isUp = try await eventually(within: .seconds(30)) {
            (try? await httpRequest("GET", "\(baseURL)/uptime"))?.status == 200
        }
        try #require(isUp, "web did not answer GET /uptime; stderr: \(web.errorOutput.suffix(2000))")
        do {
            try await body(baseURL, databaseURL)
        } catch {
            try await web.stop()
            throw error
        }
        #expect(try await web.stop() == 0, "stderr: \(web.errorOutput.suffix(2000))")
    }

    private static let sqitchDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("db")

    private func content(of response: (status: Int, body: String)) throws -> String? {
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        return object?["content"] as? String
    }

    @Test("GET /logs shows a row another process changed")
    func keptBodyFollowsRow() async throws {
        try await withWeb { baseURL, databaseURL in
            let put = try await httpRequest("PUT", "\(baseURL)/logs/7", token: Self.token, body: "first\n")
            #expect(put.status == 200)
            let putObject = try JSONSerialization.jsonObject(with: Data(put.body.utf8)) as? [String: Any]
            let logID = try #require(putObject?["id"] as? Int)
            // The first GET of each path renders and keeps the body; the second is served from it.
            for path in ["/logs/7", "/logs/\(logID)?by=id"] {
                for _ in 1...2 {
                    let kept = try await httpRequest("GET", baseURL + path, token: Self.token)
                    #expect(kept.status == 200)
                    #expect(try content(of: kept) == "first\n", "\(path)")
                }
            }

            try await PostgresTestSQL.execute(
                "UPDATE logs SET content = 'changed elsewhere' WHERE job_id = 7", on: databaseURL)
            for path in ["/logs/7", "/logs/\(logID)?by=id"] {
                let changed = try await httpRequest("GET", baseURL + path, token: Self.token)
                #expect(changed.status == 200)
                #expect(try content(of: changed) == "changed elsewhere", "\(path)")
            }

            try await PostgresTestSQL.execute("UPDATE logs SET removed_by = 5 WHERE job_id = 7", on: databaseURL)
            let removed = try await httpRequest("GET", "\(baseURL)/logs/7", token: Self.token)
            let object = try JSONSerialization.jsonObject(with: Data(removed.body.utf8)) as? [String: Any]
            #expect(object?["removed_by_id"] as? Int == 5)

            let wrongToken = try await httpRequest("GET", "\(baseURL)/logs/7", token: "wrong")
            #expect(wrongToken.status == 403)
        }
    }

    @Test("GET /logs after backends terminated")
    func backendsTerminated() async throws {
        try await withWeb { baseURL, databaseURL in
            let put = try await httpRequest("PUT", "\(baseURL)/logs/8", token: Self.token, body: "kept\n")
            try #require(put.status == 200)
            // Concurrent requests make the pool open several connections, so that more than one
            // dead connection waits in it and a single retry per request cannot hide them.
            for _ in 1...5 {
                let statuses = try await Self.concurrentStatuses(of: "\(baseURL)/logs/8", count: 20)
                #expect(statuses.allSatisfy { $0 == 200 }, "warm-up statuses: \(statuses)")
            }
            let backends =
                "FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'travis-logs-web'"
            let opened = try await PostgresTestSQL.execute("SELECT pid \(backends)", on: databaseURL).count
            try #require(opened >= 2, "web opened \(opened) connections; the check needs at least 2")

            try await PostgresTestSQL.execute("SELECT pg_terminate_backend(pid) \(backends)", on: databaseURL)
            let ended = try await eventually(within: .seconds(10)) {
                try await PostgresTestSQL.execute("SELECT pid \(backends)", on: databaseURL).isEmpty
            }
            try #require(ended, "web's backends still run after pg_terminate_backend")

            let statuses = try await Self.concurrentStatuses(of: "\(baseURL)/logs/8", count: 20)
            #expect(statuses.allSatisfy { $0 == 200 }, "statuses after the backends ended: \(statuses)")
            for _ in 1...opened {
                let response = try await httpRequest("GET", "\(baseURL)/logs/8", token: Self.token)
                #expect(response.status == 200, "body: \(response.body)")
            }
        }
    }

    /// Sends `count` GET requests to `url` at once and returns their statuses.
    private static func concurrentStatuses(of url: String, count: Int) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count {
                group.addTask { try await httpRequest("GET", url, token: token).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
