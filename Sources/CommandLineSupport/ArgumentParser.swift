/// Parses one subcommand's arguments the way swift-argument-parser does.
///
/// Accepted forms: `--name value`, `--name=value`, `-n value`, `-n=value`, flags `--name` and
/// `-n`, options given several times, positional arguments anywhere between options, a lone `-`
/// as a positional argument, and `--`, after which every argument is positional. `--help` or `-h`
/// anywhere before `--` requests help, whatever else the line contains.
public enum ArgumentParser {
    /// Parses `arguments`, which exclude the program and subcommand names.
    ///
    /// - Throws: `ArgumentError` with code `.unknownOption`, `.missingValue`, `.unexpectedValue`,
    ///   `.missingOption`, `.missingArgument` or `.unexpectedArgument`. Values are checked when
    ///   they are read from `ParsedArguments`.
    public static func parse(_ arguments: [String], for command: CommandDefinition) throws(ArgumentError)
        -> ParsedArguments
    {
        var parsed = ParsedArguments(command: command)
        if requestsHelp(arguments) {
            parsed.isHelpRequested = true
            return parsed
        }
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--" {
                parsed.positionals.append(contentsOf: remaining)
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                parsed.positionals.append(argument)
                continue
            }
            try parseOption(argument, remaining: &remaining, command: command, into: &parsed)
        }
        try checkComplete(parsed, command: command)
        return parsed
    }

    private static func requestsHelp(_ arguments: [String]) -> Bool {
        for argument in arguments {
            if argument == "--" { return false }
            if argument == "--help" || argument == "-h" { return true }
        }
        return false
    }

    private static func parseOption(
        _ argument: String, remaining: inout ArraySlice<String>, command: CommandDefinition,
        into parsed: inout ParsedArguments
    ) throws(ArgumentError) {
        let (spelling, inlineValue) = split(argument)
        guard let option = lookUp(spelling, in: command) else {
            throw ArgumentError(.unknownOption, "unknown option '\(spelling)'")
        }
        if option.kind == .flag {
            guard inlineValue == nil else {
                throw ArgumentError(.unexpectedValue, "the flag '--\(option.name)' does not take a value")
            }
            parsed.flags.insert(option.name)
            return
        }
        let value: String
        if let inlineValue {
            value = inlineValue
        } else if let next = remaining.first, !next.hasPrefix("-") || next == "-" {
            value = next
            remaining.removeFirst()
        } else {
            throw ArgumentError(.missingValue, "missing value for '\(option.usage)'")
        }
        parsed.values[option.name, default: []].append(value)
    }

    /// Splits `--name=value` into `--name` and `value`.
    private static func split(_ argument: String) -> (spelling: String, value: String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    private static func lookUp(_ spelling: String, in command: CommandDefinition) -> OptionDefinition? {
        if spelling.hasPrefix("--") {
            return command.option(named: String(spelling.dropFirst(2)))
        }
        guard spelling.count == 2, let letter = spelling.last else { return nil }
        return command.option(shortName: letter)
    }

    private static func checkComplete(_ parsed: ParsedArguments, command: CommandDefinition) throws(ArgumentError) {
        for option in command.options where option.isRequired && parsed.values[option.name] == nil {
            throw ArgumentError(.missingOption, "missing expected option '\(option.usage)'")
        }
        if parsed.positionals.count > command.arguments.count {
            let extra = parsed.positionals[command.arguments.count]
            throw ArgumentError(.unexpectedArgument, "unexpected argument '\(extra)'")
        }
        for argument in command.arguments.dropFirst(parsed.positionals.count) where argument.isRequired {
            throw ArgumentError(.missingArgument, "missing expected argument '<\(argument.name)>'")
        }
    }
}
