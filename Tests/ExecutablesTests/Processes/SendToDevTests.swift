import Foundation
import LogsCore
import TestSupport
import Testing

@Suite(
    "travis-logs send to a dev process",
    .enabled(if: BuiltExecutable.isAvailableOrCI, "travis-logs is not built beside the test bundle; run swift build")
)
struct SendToDevTests {
    private let token = "send-test-token"

    /// About 190 KB (114 parts) of log lines with ANSI colours, carriage returns and multi-byte characters, so
    /// that some 1653-byte parts end inside a character.
    private static func makeLog() -> String {
        (1...4000).map { number in
            "\u{1B}[32mline \(number)\u{1B}[0m élan ✓ progress 50%\r100%\n"
        }.joined()
    }

    private func startDev(directory: URL, port: Int) throws -> ToolProcess {
        try ToolProcess(
            ["dev", "--directory", directory.appendingPathComponent("data").path, "--port", "\(port)"],
            environment: ["AUTH_TOKEN": token])
    }

    private func storedPartCount(port: Int) async throws -> Int {
        guard
            let response = try? await httpRequest(
                "GET", "http://127.0.0.1:\(port)/log-parts/11?content=false", token: token),
            response.status == 200
        else { return 0 }
        return response.body.components(separatedBy: "\"number\"").count - 1
    }

    @Test("send survives a SIGKILL of dev without losing a part")
    func sendSurvivesKill() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("travis-logs-send-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logFile = directory.appendingPathComponent("job.log")
        let log = Self.makeLog()
        try Data(log.utf8).write(to: logFile)
        let port = try freeLoopbackPort()
        let archived = directory.appendingPathComponent("data/archive/jobs/11/log.txt")

        let first = try startDev(directory: directory, port: port)
        try await first.waitForOutput("running at")
        // At 20 parts a second the send takes about 6 seconds, and dev is killed once 10 parts are
        // stored, so the kill comes in the middle even when workers lag on a busy machine.
        let send = try ToolProcess(
            [
                "send", logFile.path, "--job-id", "11", "--url", "http://127.0.0.1:\(port)", "--token", token,
                "--rate", "20", "--retry-timeout", "120",
            ],
            environment: [:])
        let partsBeforeKill = try await eventually(within: .seconds(60)) {
            try await storedPartCount(port: port) >= 10
        }
        let killStatus = try await first.stop(signal: SIGKILL)
        let sendRunningAtKill = send.process.isRunning

        let second = try startDev(directory: directory, port: port)
        try await second.waitForOutput("running at")
        let sendStatus = try await send.waitForExit()
        let verified = try await eventually(within: .seconds(60)) {
            let response = try? await httpRequest("GET", "http://127.0.0.1:\(port)/logs/11?by=job_id", token: token)
            return response?.body.contains(#""archive_verified":true"#) == true
        }
        let archivedLog = try? String(contentsOf: archived, encoding: .utf8)
        let stopStatus = try await second.stop()

        #expect(partsBeforeKill)
        #expect(killStatus == SIGKILL)
        #expect(sendRunningAtKill, "send finished before the kill, so the test shows nothing")
        #expect(sendStatus == 0, "send output: \(send.output.suffix(500)) \(send.errorOutput.suffix(1000))")
        #expect(verified, "no verified archive; dev stderr: \(second.errorOutput.suffix(2000))")
        #expect(archivedLog?.utf8.count == log.utf8.count)
        #expect(archivedLog == log)
        #expect(stopStatus == 0)
    }
}
