import Foundation
import TestSupport
import Testing

/// A `RedisWorkerFixture` process started by a fault test, with its output captured.
final class WorkerProcess {
    let process = Process()
    let logFile: URL
    private let output = Pipe()

    /// Starts the fixture built beside the test bundle, with `environment` added to this one's.
    init(environment: [String: String]) throws {
        process.executableURL = try Self.fixtureURL()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("fixture-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logFile)
    }

    func kill(signal: Int32) {
        _ = Foundation.kill(process.processIdentifier, signal)
    }

    /// Sends SIGTERM and returns the exit status and standard output, waiting on a thread of its own.
    func terminate() async throws -> (status: Int32, output: String) {
        process.terminate()
        let process = self.process
        let output = self.output
        return try await runOnOwnThread {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }

    /// The log lines written so far.
    var logLines: [String] {
        ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private static func fixtureURL() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("RedisWorkerFixture"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("RedisWorkerFixture"),
        ]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "RedisWorkerFixture is not built next to the tests; run swift build --build-tests")
    }
}

/// Polls `condition` every 50 ms until it is true or `timeout` passes, and returns its last value.
func eventually(within timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
