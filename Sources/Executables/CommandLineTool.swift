import CommandLineSupport
import Foundation
import LogsCore

/// The `travis-logs` command: parses its subcommand's arguments and runs it.
///
/// Help goes to standard output with status 0. An argument error goes to standard error with
/// status 2, as does an invalid configuration variable.
enum CommandLineTool {
    static let version = "0.1.0"

    static let commands = TravisLogsCommands.commandSet

    /// Runs the command line, without the program name, and exits.
    static func main(_ arguments: [String]) -> Never {
        let invocation: CommandSet.Invocation
        do {
            invocation = try commands.resolve(arguments)
        } catch {
            let command = arguments.first.flatMap { try? commands.command(named: $0) }
            failUsage(commands.report(error, command: command))
        }
        switch invocation {
        case .overview:
            print(overview)
        case .version:
            print("\(TravisLogsCommands.programName) \(version)")
        case .run(let parsed) where parsed.isHelpRequested:
            print(HelpFormatter.help(for: parsed.command, programName: TravisLogsCommands.programName))
        case .run(let parsed):
            do {
                try run(parsed)
            } catch {
                failUsage(commands.report(error, command: parsed.command))
            }
        }
        exit(0)
    }

    static var overview: String {
        HelpFormatter.overview(
            programName: TravisLogsCommands.programName, abstract: commands.abstract, commands: commands.commands,
            extraCommands: [("help", "Prints this overview, or the help of a subcommand.")])
    }

    private static func run(_ parsed: ParsedArguments) throws(ArgumentError) {
        switch parsed.command.name {
        case TravisLogsCommands.version.name:
            print("\(TravisLogsCommands.programName) \(version)")
        case TravisLogsCommands.config.name:
            ConfigCommand.run(exampleEnvironment: parsed.isSet("example-env"))
        case TravisLogsCommands.worker.name:
            WorkerCommand.run(try WorkerOptions(parsed))
        case TravisLogsCommands.web.name:
            WebCommand.run(try ServiceOptions(parsed))
        case TravisLogsCommands.drain.name:
            DrainCommand.main(try ServiceOptions(parsed))
        case TravisLogsCommands.sweeper.name:
            SweeperCommand.run(try ServiceOptions(parsed))
        case TravisLogsCommands.maintenance.name:
            MaintenanceCommand.run(try ServiceOptions(parsed))
        case TravisLogsCommands.dev.name:
            DevCommand.run(try ServiceOptions(parsed))
        case TravisLogsCommands.send.name:
            SendCommand.run(try SendOptions(parsed, environment: ProcessInfo.processInfo.environment))
        default:
            _ = try ServiceOptions(parsed)
            failUnavailable(parsed.command)
        }
    }

    /// Stops a subcommand that has a definition but no process in this build, after its
    /// arguments were checked.
    private static func failUnavailable(_ command: CommandDefinition) -> Never {
        fail("the \(command.name) process type is not available in this build of \(TravisLogsCommands.programName)")
    }

    static func failUsage(_ report: String) -> Never {
        FileHandle.standardError.write(Data((report + "\n").utf8))
        exit(ArgumentError.exitStatus)
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(TravisLogsCommands.programName): \(message)\n".utf8))
        exit(ArgumentError.exitStatus)
    }
}
