import Foundation

/// The exit status and the combined standard output and error of a command.
public struct CommandResult: Sendable {
    public var status: Int32
    public var output: String

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs a program found on `PATH` with sqitch's identity set, and returns its status and combined
/// output.
///
/// The wait runs on a thread of its own: blocking one of the cooperative pool's threads (two on a
/// two-core machine) for the seconds a sqitch run takes would stall every other test.
public func runCommand(
    _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
) async throws -> CommandResult {
    try await runOnOwnThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let directory { process.currentDirectoryURL = directory }
        var merged = ProcessInfo.processInfo.environment
        merged["SQITCH_FULLNAME"] = "travis-logs tests"
        merged["SQITCH_EMAIL"] = "tests@localhost"
        merged.merge(environment) { $1 }
        process.environment = merged
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
