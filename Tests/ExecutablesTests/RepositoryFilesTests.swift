import CommandLineSupport
import Foundation
import LogsCore
import Testing

/// Checks of the committed `.example.env` and `Procfile` against the code that defines them.
@Suite("Repository files")
struct RepositoryFilesTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func read(_ name: String) throws -> String {
        try String(contentsOf: Self.repositoryRoot.appendingPathComponent(name), encoding: .utf8)
    }

    @Test(".example.env matches the generated text")
    func exampleEnvironmentIsCurrent() throws {
        let committed = try read(".example.env")
        #expect(
            committed == ExampleEnvironment.render(),
            "regenerate it with: swift run travis-logs config --example-env > .example.env")
    }

    @Test(".example.env lists every variable")
    func exampleEnvironmentListsEverything() throws {
        let text = ExampleEnvironment.render()
        let names = LogsConfiguration.variables.map(\.name) + ExampleEnvironment.procfileVariables.map(\.name)
        for variable in names {
            #expect(text.contains("\n#\(variable)="), "\(variable)")
        }
    }

    @Test("values with shell characters are quoted")
    func quoting() {
        let assignments = ExampleEnvironment.render().split(separator: "\n").filter { !$0.hasPrefix("# ") }
        for line in assignments where line.contains("=") {
            let value = line.split(separator: "=", maxSplits: 1).dropFirst().first ?? ""
            #expect(!value.contains(" ") || value.hasPrefix("'"), "\(line)")
        }
    }

    @Test("Procfile has the original process types")
    func procfileProcessTypes() throws {
        let names = try procfileEntries().map(\.name)
        #expect(
            names == [
                "drain", "drain_sharded", "web", "worker_critical", "worker_high", "worker_low", "aggregate_sweeper",
            ])
    }

    @Test("Procfile commands parse")
    func procfileCommandsParse() throws {
        for entry in try procfileEntries() {
            let words = entry.command.split(separator: " ").map(String.init)
            let index = try #require(words.firstIndex(of: "travis-logs"), "\(entry.name)")
            let arguments = words[(index + 1)...].map(Self.expandingDefaults)
            guard case .run(let parsed) = try TravisLogsCommands.commandSet.resolve(arguments) else {
                Issue.record("\(entry.name) does not run a subcommand")
                continue
            }
            if parsed.command.name == "worker" {
                _ = try WorkerOptions(parsed)
            }
        }
    }

    @Test("Procfile keeps the original queue assignments")
    func procfileQueues() throws {
        let entries = Dictionary(uniqueKeysWithValues: try procfileEntries().map { ($0.name, $0.command) })
        #expect(entries["worker_critical"]?.hasSuffix("--queue logs.pusher_forwarding,1") == true)
        #expect(entries["worker_high"]?.hasSuffix("--queue aggregate,1 --queue log_parts,1") == true)
        #expect(
            entries["worker_low"]?.hasSuffix(
                "--queue archive,1 --queue maintenance,1 --queue purge_log,1 --queue timing_info,1") == true)
        #expect(entries["drain_sharded"]?.hasPrefix("TRAVIS_LOGS_DRAIN_RABBITMQ_SHARDING=true ") == true)
    }

    private func procfileEntries() throws -> [(name: String, command: String)] {
        try read("Procfile").split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { return nil }
            let command = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return (String(line[..<colon]), command)
        }
    }

    /// Replaces a shell `${NAME:-default}` with its default.
    private static func expandingDefaults(_ word: String) -> String {
        guard word.hasPrefix("${"), word.hasSuffix("}"), let dash = word.range(of: ":-") else { return word }
        return String(word[dash.upperBound..<word.index(before: word.endIndex)])
    }
}
