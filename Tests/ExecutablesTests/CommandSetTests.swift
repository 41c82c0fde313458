import CommandLineSupport
import Testing

@Suite("Command set")
struct CommandSetTests {
    let commands = TravisLogsCommands.commandSet

    private func invocation(_ arguments: [String]) throws -> CommandSet.Invocation {
        try commands.resolve(arguments)
    }

    @Test("overview without a subcommand or with help")
    func overview() throws {
        for arguments in [[], ["help"], ["--help"], ["-h"]] {
            guard case .overview = try invocation(arguments) else {
                Issue.record("\(arguments) does not print the overview")
                continue
            }
        }
    }

    @Test("version flag")
    func versionFlag() throws {
        guard case .version = try invocation(["--version"]) else {
            Issue.record("--version does not print the version")
            return
        }
    }

    @Test("help with a subcommand requests its help")
    func helpSubcommand() throws {
        guard case .run(let parsed) = try invocation(["help", "worker"]) else {
            Issue.record("help worker does not run worker")
            return
        }
        #expect(parsed.command.name == "worker")
        #expect(parsed.isHelpRequested)
    }

    @Test("subcommand receives the remaining arguments")
    func subcommandArguments() throws {
        guard case .run(let parsed) = try invocation(["worker", "-q", "aggregate,2", "--concurrency=3"]) else {
            Issue.record("worker is not run")
            return
        }
        let options = try WorkerOptions(parsed)
        #expect(options.queues.map(\.name) == ["aggregate"])
        #expect(options.queues.map(\.weight) == [2])
        #expect(options.concurrency == 3)
    }

    @Test("unknown subcommand names it")
    func unknownSubcommand() {
        let error = #expect(throws: ArgumentError.self) { try invocation(["serve"]) }
        #expect(error?.code == .unknownCommand)
        #expect(error?.message.hasPrefix("unknown subcommand 'serve'") == true)
    }

    @Test("error report shows usage and where help is")
    func errorReport() throws {
        let error = ArgumentError(.unknownOption, "unknown option '--bogus'")
        let report = commands.report(error, command: TravisLogsCommands.sweeper)
        #expect(report.hasPrefix("travis-logs sweeper: unknown option '--bogus'\n"))
        #expect(report.contains("Usage: travis-logs sweeper [--metrics-port <port>]"))
        #expect(report.contains("travis-logs sweeper --help"))
    }

    @Test("exit status of argument errors is 2")
    func exitStatus() {
        #expect(ArgumentError.exitStatus == 2)
    }
}
