import CommandLineSupport
import LogsCore
import Testing

@Suite("Subcommand help")
struct SubcommandHelpTests {
    static let processNames = ["web", "drain", "worker", "sweeper", "maintenance", "dev"]

    @Test("every process type of the design has a subcommand")
    func processSubcommands() {
        let names = TravisLogsCommands.all.map(\.name)
        for name in Self.processNames + ["send", "config", "version"] {
            #expect(names.contains(name), "\(name)")
        }
    }

    @Test("help lists every option with its default", arguments: TravisLogsCommands.all.map(\.name))
    func helpListsOptions(name: String) throws {
        let command = try TravisLogsCommands.commandSet.command(named: name)
        let help = HelpFormatter.help(for: command, programName: "travis-logs")
        let unwrapped = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.hasPrefix("OVERVIEW: \(command.abstract)"))
        #expect(help.contains("USAGE: travis-logs \(name)"))
        #expect(help.contains("-h, --help"))
        for option in command.options {
            #expect(help.contains(option.usage), "\(option.name)")
            if let defaultValue = option.defaultValue {
                #expect(unwrapped.contains("(default: \(defaultValue))"), "\(option.name)")
            }
        }
        for variable in command.environment {
            #expect(help.contains("  \(variable.name)"), "\(variable.name)")
        }
        for line in help.split(separator: "\n") where !line.hasPrefix("USAGE:") {
            #expect(line.count <= 80, "\(line)")
        }
    }

    @Test("process subcommands list the environment they read", arguments: processNames)
    func processEnvironment(name: String) throws {
        let command = try TravisLogsCommands.commandSet.command(named: name)
        #expect(!command.environment.isEmpty)
        let known = Set(LogsConfiguration.variables.map(\.name))
        for variable in command.environment {
            #expect(known.contains(variable.name), "\(variable.name)")
        }
        #expect(command.environment.map(\.name).contains("TRAVIS_LOG_LEVEL"))
    }

    @Test("optional option help states its default")
    func optionHelpStatesDefault() {
        for command in TravisLogsCommands.all {
            for option in command.options where option.kind != .flag && !option.isRequired {
                let text = option.help.lowercased()
                let isSpecific =
                    option.defaultValue != nil || text.contains("default") || text.contains("when not given")
                #expect(isSpecific, "\(command.name) --\(option.name)")
            }
        }
    }
}
