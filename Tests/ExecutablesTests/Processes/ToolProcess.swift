import Foundation
import LogsCore
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `travis-logs` child process started by a test, with standard output and standard error
/// captured in files so that the test can read them while it runs.
final class ToolProcess {
    let process = Process()
    let outputFile: URL
    let errorFile: URL

    /// Starts `travis-logs` with `arguments` and an environment of `PATH` plus `environment`.
    init(_ arguments: [String], environment: [String: String], directory: URL? = nil) throws {
        let executable = try #require(BuiltExecutable.url, "travis-logs is not built beside the test bundle")
        let folder = FileManager.default.temporaryDirectory
        outputFile = folder.appendingPathComponent("travis-logs-\(UUID().uuidString).out")
        errorFile = folder.appendingPathComponent("travis-logs-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputFile)
        try? FileManager.default.removeItem(at: errorFile)
    }

    var output: String {
        (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    var errorOutput: String {
        (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    }

    /// Sends `signal` and waits for the process to exit, on a thread of its own.
    ///
    /// - Returns: the exit status, or the signal number when a signal ended it.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        _ = Foundation.kill(process.processIdentifier, signal)
        return try await waitForExit()
    }

    func waitForExit() async throws -> Int32 {
        let process = self.process
        return try await runOnOwnThread {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Waits until standard output contains `text`, or fails after `timeout`.
    func waitForOutput(_ text: String, within timeout: Duration = .seconds(60)) async throws {
        let found = try await eventually(within: timeout) { self.output.contains(text) || !self.process.isRunning }
        #expect(
            found && output.contains(text), "travis-logs did not print \(text); stderr: \(errorOutput.suffix(2000))")
        try #require(output.contains(text))
    }
}

/// Polls `condition` every 100 ms until it is true or `timeout` passes, and returns its last value.
func eventually(within timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// Sends one HTTP request and returns the status and body.
func httpRequest(
    _ method: String, _ url: String, token: String? = nil, body: String? = nil
) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: try #require(URL(string: url)))
    request.httpMethod = method
    if let token { request.setValue("token \(token)", forHTTPHeaderField: "Authorization") }
    if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let session = URLSession(configuration: .ephemeral)
    defer { session.finishTasksAndInvalidate() }
    let (data, response) = try await session.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return (status, String(decoding: data, as: UTF8.self))
}
