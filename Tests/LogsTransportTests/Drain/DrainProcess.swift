import Foundation
import Testing

/// A `travis-logs drain` process started by a fault test, with its standard error in a file.
final class DrainProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is only read after `run()`, and Process is safe to wait on
    // from another thread.
    let process = Process()
    let logFile: URL

    /// Starts the `travis-logs` executable built beside the test bundle, with `environment` added to
    /// this process's environment.
    init(environment: [String: String]) throws {
        process.executableURL = try Self.executableURL()
        process.arguments = ["drain"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("drain-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
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

    /// Sends SIGTERM and returns the exit status.
    func terminate() async -> Int32 {
        process.terminate()
        return await waitForExit()
    }

    /// Waits on a thread of its own, so the cooperative pool stays free, and returns the exit status.
    func waitForExit() async -> Int32 {
        let process = self.process
        return await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }.start()
        }
    }

    var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    private static func executableURL() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("travis-logs"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("travis-logs"),
        ]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "travis-logs is not built next to the tests; run swift build --build-tests")
    }
}
