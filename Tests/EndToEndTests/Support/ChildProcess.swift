import Foundation
import Testing

/// One `travis-logs` process of the system under test, with its standard error kept in a file.
///
/// The process is killed when the value is released, so a failing test leaves nothing running.
final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is replaced only by `restart()`, which the owning test calls
    // between steps, never while another task reads it.
    let name: String
    let arguments: [String]
    let environment: [String: String]
    let logFile: URL
    private(set) var process: Process

    /// Starts `travis-logs` with `arguments`; `environment` replaces this process's environment.
    init(name: String, arguments: [String], environment: [String: String], logDirectory: URL) throws {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        logFile = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process = try Self.launch(arguments: arguments, environment: environment, logFile: logFile)
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    var isRunning: Bool { process.isRunning }

    /// Sends `signal` to the process.
    func kill(_ signal: Int32) {
        _ = Foundation.kill(process.processIdentifier, signal)
    }

    /// Sends SIGTERM, waits up to `grace` for the exit, then sends SIGKILL, and returns the exit status.
    @discardableResult
    func stop(grace: Duration = .seconds(20)) async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(SIGKILL) }
        return await waitForExit()
    }

    /// Kills the process with SIGKILL and waits for it to go.
    func killHard() async {
        kill(SIGKILL)
        _ = await waitForExit()
    }

    /// Starts the same command again, appending to the same log file.
    func restart() throws {
        precondition(!process.isRunning, "restart() of a running \(name) process")
        process = try Self.launch(arguments: arguments, environment: environment, logFile: logFile)
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

    /// The process's log lines so far.
    var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// The log lines at level error or above, which a healthy run of a scenario does not write.
    var errorLines: [String] {
        log.split(separator: "\n").map(String.init).filter {
            $0.contains("level=error") || $0.contains("level=critical")
        }
    }

    private static func launch(arguments: [String], environment: [String: String], logFile: URL) throws -> Process {
        let process = Process()
        process.executableURL = try executableURL()
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        return process
    }

    /// Returns the `travis-logs` executable that `swift build --build-tests` puts beside the test bundle.
    static func executableURL() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("travis-logs"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("travis-logs"),
        ]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "travis-logs is not built next to the tests; run swift build --build-tests")
    }
}
