import Foundation
import LogsCore
import TestSupport
import Testing

/// Runs the Ruby scripts beside these tests with Debian's Ruby Sidekiq 6.4.
enum RubySidekiq {
    static let scriptDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Ruby")

    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/ruby")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/sidekiq")
    }

    /// Runs `script` with `REDIS_URL` set to `redisURL` and returns its standard output as JSON.
    ///
    /// Ruby runs on a thread of its own, so the second it takes to start does not hold one of the
    /// cooperative pool's threads.
    static func run(_ script: String, _ arguments: [String] = [], redisURL: String) async throws -> JSONValue {
        let environment = environment(redisURL: redisURL)
        let result = try await runOnOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/ruby")
            process.arguments = [scriptDirectory.appendingPathComponent(script).path] + arguments
            process.environment = environment
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (status: process.terminationStatus, data: data, errorText: errorText)
        }
        try #require(result.status == 0, "ruby \(script) failed: \(result.errorText)")
        return try JSONValue(parsing: result.data)
    }

    /// Starts `sidekiq` with `archive_worker.rb` on the `archive` queue, one thread.
    static func startArchiveWorker(redisURL: String, output: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sidekiq")
        process.arguments = [
            "-r", scriptDirectory.appendingPathComponent("archive_worker.rb").path, "-q", "archive", "-c", "1",
            "-t", "2",
        ]
        var environment = environment(redisURL: redisURL)
        environment["SIDEKIQ_TEST_OUTPUT"] = output.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private static func environment(redisURL: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["REDIS_URL"] = redisURL
        return environment
    }
}
