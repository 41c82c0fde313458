import Foundation
import LogsCore
import TestSupport
import Testing

@Suite(
    "travis-logs dev process",
    .enabled(if: BuiltExecutable.isAvailableOrCI, "travis-logs is not built beside the test bundle; run swift build")
)
struct DevProcessTests {
    private let token = "dev-test-token"

    private func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("travis-logs-dev-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func startDev(in directory: URL, port: Int, environment: [String: String] = [:]) throws -> ToolProcess {
        try ToolProcess(
            ["dev", "--directory", directory.appendingPathComponent("data").path, "--port", "\(port)"],
            environment: ["AUTH_TOKEN": token].merging(environment) { $1 })
    }

    private func putPart(port: Int, jobID: Int, number: String, text: String, final: Bool) async throws -> Int {
        let content = Data(text.utf8).base64EncodedString()
        let body = #"{"@type":"log_part","encoding":"base64","content":"\#(content)","final":\#(final)}"#
        return try await httpRequest(
            "PUT", "http://127.0.0.1:\(port)/log-parts/\(jobID)/\(number)", token: token, body: body
        ).status
    }

    /// No final part is sent, so no aggregation is scheduled, and only the sweeper of the
    /// restarted process, with `intervals.force` at 1 second, can find the parts.
    @Test("parts stored before SIGKILL are archived after restart")
    func partsSurviveKill() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        let archived = directory.appendingPathComponent("data/archive/jobs/7/log.txt")
        // The sweeper takes only parts older than an hour before the kill.
        let first = try startDev(in: directory, port: port, environment: ["TRAVIS_LOGS_INTERVALS_FORCE": "3600"])
        try await first.waitForOutput("running at http://127.0.0.1:\(port)")

        #expect(try await putPart(port: port, jobID: 7, number: "1", text: "first line\n", final: false) == 204)
        #expect(try await putPart(port: port, jobID: 7, number: "2", text: "second ✓\n", final: false) == 204)
        let stored = try await eventually(within: .seconds(30)) {
            let parts = try await httpRequest(
                "GET", "http://127.0.0.1:\(port)/log-parts/7?content=false", token: token)
            return parts.body.components(separatedBy: "\"number\"").count - 1 == 2
        }
        let killStatus = try await first.stop(signal: SIGKILL)
        let archivedBeforeRestart = FileManager.default.fileExists(atPath: archived.path)

        let second = try startDev(
            in: directory, port: port,
            environment: ["TRAVIS_LOGS_INTERVALS_FORCE": "1", "TRAVIS_LOGS_INTERVALS_AGGREGATE": "1"])
        try await second.waitForOutput("running at")
        let verifiedAfterRestart = try await eventually(within: .seconds(60)) {
            let log = try await httpRequest("GET", "http://127.0.0.1:\(port)/logs/7?by=job_id", token: token)
            return log.body.contains(#""archive_verified":true"#)
        }
        let stopStatus = try await second.stop()

        #expect(stored)
        #expect(killStatus == SIGKILL)
        #expect(!archivedBeforeRestart)
        #expect(verifiedAfterRestart, "no verified archive after restart; stderr: \(second.errorOutput.suffix(2000))")
        #expect(try String(contentsOf: archived, encoding: .utf8) == "first line\nsecond ✓\n")
        #expect(stopStatus == 0)
    }

    @Test("dev prints its URL and a generated token")
    func generatedToken() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        let dev = try ToolProcess(
            ["dev", "--directory", directory.appendingPathComponent("data").path, "--port", "\(port)"],
            environment: [:])
        try await dev.waitForOutput("token: ")

        let tokenLine = try #require(dev.output.split(separator: "\n").first { $0.hasPrefix("token: ") })
        let generated = String(tokenLine.dropFirst("token: ".count).prefix { $0 != " " })
        let withToken = try await httpRequest("GET", "http://127.0.0.1:\(port)/logs/1?by=job_id", token: generated)
        let withoutToken = try await httpRequest("GET", "http://127.0.0.1:\(port)/logs/1?by=job_id")
        let status = try await dev.stop()

        #expect(generated.count == 64)
        #expect(withToken.status == 404)
        #expect(withoutToken.status == 403)
        #expect(status == 0)
        #expect(!dev.errorOutput.contains(generated), "the token appears in the log")
        #expect(dev.errorOutput.contains("dev stopped"))
        let startLine = try #require(dev.errorOutput.split(separator: "\n").first { $0.contains("dev starting") })
        #expect(startLine.contains("bind_address=127.0.0.1"))
        #expect(startLine.contains("port=\(port)"))
        #expect(startLine.contains("SQLite at"))
        #expect(!startLine.contains("postgres://"))
    }

    @Test("second dev on one directory exits 2")
    func secondDevRejected() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        let first = try startDev(in: directory, port: port)
        try await first.waitForOutput("running at")

        let second = try startDev(in: directory, port: try freeLoopbackPort())
        let secondStatus = try await second.waitForExit()
        let firstStatus = try await first.stop()

        #expect(secondStatus == 2)
        #expect(second.errorOutput.contains("another process"))
        #expect(firstStatus == 0)
    }
}
