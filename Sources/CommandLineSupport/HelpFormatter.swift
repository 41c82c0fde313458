/// Writes help text in swift-argument-parser's layout: OVERVIEW, USAGE, ARGUMENTS, OPTIONS and
/// ENVIRONMENT sections, with descriptions in a column and wrapped at 80 characters.
public enum HelpFormatter {
    /// The column where descriptions start.
    static let labelWidth = 26
    static let lineWidth = 80

    /// Returns the help of one subcommand.
    ///
    /// - Parameter programName: the executable's name, such as `travis-logs`.
    public static func help(for command: CommandDefinition, programName: String) -> String {
        var sections = ["OVERVIEW: " + command.abstract]
        if !command.discussion.isEmpty {
            sections.append(wrap(command.discussion, indent: 0))
        }
        sections.append("USAGE: " + usage(for: command, programName: programName))
        if !command.arguments.isEmpty {
            let rows = command.arguments.map { ("<\($0.name)>", $0.help) }
            sections.append("ARGUMENTS:\n" + table(rows))
        }
        let helpRow = ("-h, --help", "Show help information.")
        sections.append("OPTIONS:\n" + table(command.options.map(row(for:)) + [helpRow]))
        if !command.environment.isEmpty {
            sections.append("ENVIRONMENT:\n" + table(command.environment.map(row(for:))))
        }
        return sections.joined(separator: "\n\n")
    }

    /// Returns the one-line usage of a subcommand, as error messages repeat it.
    public static func usage(for command: CommandDefinition, programName: String) -> String {
        var parts = ["\(programName) \(command.name)"]
        for option in command.options {
            var text = option.usage
            if option.kind == .repeatedValue { text += " ..." }
            parts.append(option.isRequired ? text : "[\(text)]")
        }
        for argument in command.arguments {
            parts.append(argument.isRequired ? "<\(argument.name)>" : "[<\(argument.name)>]")
        }
        return parts.joined(separator: " ")
    }

    /// Returns the program's overview: its abstract and every subcommand.
    public static func overview(
        programName: String, abstract: String, commands: [CommandDefinition], extraCommands: [(String, String)] = []
    ) -> String {
        let rows = commands.map { ($0.name, $0.abstract) } + extraCommands
        return """
            OVERVIEW: \(abstract)

            USAGE: \(programName) <subcommand>

            SUBCOMMANDS:
            \(table(rows))

              See '\(programName) help <subcommand>' for detailed help.
            """
    }

    private static func row(for option: OptionDefinition) -> (String, String) {
        var label = option.shortName.map { "-\($0), " } ?? ""
        label += option.usage
        var text = option.help
        if option.kind == .repeatedValue { text += " Can be given several times." }
        if let defaultValue = option.defaultValue { text += " (default: \(defaultValue))" }
        return (label, text)
    }

    private static func row(for variable: EnvironmentVariableHelp) -> (String, String) {
        let defaultText = variable.defaultValue.isEmpty ? "" : " (default: \(variable.defaultValue))"
        return (variable.name, variable.summary + "." + defaultText)
    }

    /// Lays out labels and descriptions in two columns; a long label gets a line of its own.
    static func table(_ rows: [(label: String, text: String)]) -> String {
        rows.map { label, text in
            let description = wrap(text, indent: labelWidth)
            let labelLine = "  " + label
            if labelLine.count + 1 >= labelWidth {
                return labelLine + "\n" + description
            }
            let padding = String(repeating: " ", count: labelWidth - labelLine.count)
            return labelLine + padding + description.dropFirst(labelWidth)
        }
        .joined(separator: "\n")
    }

    /// Wraps text at word boundaries, indenting every line by `indent` spaces.
    static func wrap(_ text: String, indent: Int) -> String {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty, indent + line.count + 1 + word.count > lineWidth {
                lines.append(margin + line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        lines.append(margin + line)
        return lines.joined(separator: "\n")
    }
}
