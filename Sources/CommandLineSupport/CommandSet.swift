/// A program's subcommands, and the resolution of a command line to one of them.
public struct CommandSet: Sendable {
    /// The action a command line requests.
    public enum Invocation: Sendable {
        /// Print the program's overview: no subcommand, `help`, `--help` or `-h`.
        case overview
        /// Print the version: `version` or `--version`.
        case version
        /// Run a subcommand, or print its help when `arguments.isHelpRequested`.
        case run(ParsedArguments)
    }

    public var programName: String
    public var abstract: String
    public var commands: [CommandDefinition]

    public init(programName: String, abstract: String, commands: [CommandDefinition]) {
        self.programName = programName
        self.abstract = abstract
        self.commands = commands
    }

    /// Chooses the subcommand and parses its arguments.
    ///
    /// `help <subcommand>` is the same as `<subcommand> --help`.
    ///
    /// - Parameter arguments: the command line without the program name.
    /// - Throws: `ArgumentError` with code `.unknownCommand`, or any error of `ArgumentParser`.
    public func resolve(_ arguments: [String]) throws(ArgumentError) -> Invocation {
        guard let first = arguments.first else { return .overview }
        switch first {
        case "--help", "-h":
            return .overview
        case "--version":
            return .version
        case "help":
            guard let name = arguments.dropFirst().first else { return .overview }
            return .run(try ArgumentParser.parse(["--help"], for: try command(named: name)))
        default:
            return .run(try ArgumentParser.parse(Array(arguments.dropFirst()), for: try command(named: first)))
        }
    }

    /// Returns the subcommand with this name.
    public func command(named name: String) throws(ArgumentError) -> CommandDefinition {
        guard let command = commands.first(where: { $0.name == name }) else {
            let names = commands.map(\.name).joined(separator: ", ")
            throw ArgumentError(.unknownCommand, "unknown subcommand '\(name)'; expected one of: \(names)")
        }
        return command
    }

    /// Returns the text printed for an argument error: the message, the usage, and where help is.
    public func report(_ error: ArgumentError, command: CommandDefinition?) -> String {
        guard let command else {
            return "\(programName): \(error.message)\nSee '\(programName) --help' for more information."
        }
        return """
            \(programName) \(command.name): \(error.message)
            Usage: \(HelpFormatter.usage(for: command, programName: programName))
              See '\(programName) \(command.name) --help' for more information.
            """
    }
}
