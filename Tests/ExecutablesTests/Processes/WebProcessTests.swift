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
}
