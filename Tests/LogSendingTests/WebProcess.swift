import Foundation
import TestSupport
import Testing

/// The `travis-logs` executable that SwiftPM builds beside the test bundle.
enum BuiltTool {
    static let url: URL? = {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = folder.appendingPathComponent("travis-logs")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }()

    static func require() throws -> URL {
        try #require(url, "travis-logs is not built beside the test bundle; run swift build first")
    }

    struct Result: Sendable {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs the tool, or another `executable`, to completion on a thread of its own, because waiting
    /// for it blocks.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], input: URL? = nil, executable: URL? = nil
    ) async throws -> Result {
        let executable = try executable ?? require()
        return try await runOnOwnThread {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
            try process.run()
            // Standard error is read on another thread so that neither pipe fills up and blocks the tool.
            let errorData = ErrorCollector(errors.fileHandleForReading)
            let stdout = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(
                status: process.terminationStatus, output: String(decoding: stdout, as: UTF8.self),
                errorOutput: String(decoding: errorData.wait(), as: UTF8.self))
        }
    }

    /// Reads a pipe to its end on a thread of its own.
    ///
    /// `@unchecked Sendable`: `data` is written by the reading thread before it signals `done`, and
    /// read only after waiting on `done`.
    private final class ErrorCollector: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread {
                self.data = handle.readDataToEndOfFile()
                self.done.signal()
            }.start()
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }
}

/// A `travis-logs web` process on 127.0.0.1, with its standard error in a temporary file.
final class WebProcess {
    let process = Process()
    let port: Int
    let logFile: URL

    /// Starts `web` on `port` and waits until it logs that it listens.
    init(port: Int, environment: [String: String]) async throws {
        self.port = port
        process.executableURL = try BuiltTool.require()
        process.arguments = ["web", "--port", "\(port)"]
        process.environment = ["PATH": "/usr/bin:/bin", "BIND_ADDRESS": "127.0.0.1"].merging(environment) { $1 }
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while !log.contains("HTTP server listening") {
            guard process.isRunning else { throw WebProcessError(message: "web exited at start: \(log)") }
            guard ContinuousClock.now < deadline else {
                throw WebProcessError(message: "web did not listen within 20 s: \(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logFile)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Stops the process with `signal` and waits for it to exit, on a thread of its own.
    func stop(signal: Int32 = SIGTERM) async throws {
        let process = self.process
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        try await runOnOwnThread { process.waitUntilExit() }
    }
}

struct WebProcessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
