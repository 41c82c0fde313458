import Foundation
import LogsCore
import Testing

/// The built `travis-logs` executable, which SwiftPM puts beside the test bundle.
enum BuiltExecutable {
    static let url: URL? = {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = folder.appendingPathComponent("travis-logs")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }()

    static var isAvailableOrCI: Bool {
        url != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }
}

@Suite(
    "travis-logs executable",
    .enabled(if: BuiltExecutable.isAvailableOrCI, "travis-logs is not built beside the test bundle; run swift build")
)
struct CommandLineToolTests {
    struct ToolOutput: Sendable {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs the executable on a thread of its own, because waiting for it blocks.
    private func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ToolOutput {
        let executable = try #require(BuiltExecutable.url, "travis-logs is not built")
        let thread = ThreadExecutor(name: "travis-logs-test")
        defer { thread.shutdown() }
        return try await thread.run {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let stdout = output.fileHandleForReading.readDataToEndOfFile()
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return ToolOutput(
                status: process.terminationStatus, output: String(decoding: stdout, as: UTF8.self),
                errorOutput: String(decoding: stderr, as: UTF8.self))
        }
    }

    @Test("subcommand help exits 0")
    func helpExitsZero() async throws {
        let result = try await run(["worker", "--help"])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("OVERVIEW: "))
        #expect(result.output.contains("--concurrency <count>"))
    }

    @Test("unknown option exits 2 naming it")
    func unknownOptionExitsTwo() async throws {
        let result = try await run(["sweeper", "--bogus"])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("unknown option '--bogus'"))
        #expect(result.output.isEmpty)
    }

    @Test("invalid value exits 2 naming it")
    func invalidValueExitsTwo() async throws {
        let result = try await run(["worker", "--queue", "log_parts", "--concurrency=many"])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("invalid value 'many' for '--concurrency <count>'"))
    }

    @Test("unknown subcommand exits 2")
    func unknownSubcommandExitsTwo() async throws {
        let result = try await run(["serve"])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("unknown subcommand 'serve'"))
    }

    @Test("config masks secrets")
    func configMasksSecrets() async throws {
        let result = try await run(
            ["config"], environment: ["AUTH_TOKEN": "very-secret", "DATABASE_URL": "postgres://u:pw@db/logs"])
        #expect(result.status == 0)
        #expect(!result.output.contains("very-secret"))
        #expect(!result.output.contains("pw@"))
        #expect(result.output.contains("[secure]"))
    }

    @Test("invalid configuration exits 2 naming the variable")
    func invalidConfigurationExitsTwo() async throws {
        let result = try await run(["config"], environment: ["PORT": "seventy"])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("PORT"))
    }

    @Test("version prints the version")
    func version() async throws {
        let result = try await run(["version"])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("travis-logs "))
    }
}
