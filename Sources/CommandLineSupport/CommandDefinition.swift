/// The options and arguments a subcommand accepts, and the text of its help.
public struct CommandDefinition: Sendable {
    /// The subcommand's name, such as `worker`.
    public var name: String
    /// One sentence for the overview and the top of the help.
    public var abstract: String
    /// Paragraphs shown after the abstract in the command's help.
    public var discussion: String
    public var options: [OptionDefinition]
    public var arguments: [ArgumentDefinition]
    /// The environment variables the command reads, listed in its help.
    public var environment: [EnvironmentVariableHelp]

    public init(
        name: String, abstract: String, discussion: String = "", options: [OptionDefinition] = [],
        arguments: [ArgumentDefinition] = [], environment: [EnvironmentVariableHelp] = []
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.arguments = arguments
        self.environment = environment
    }

    /// Returns the option with this long name (without dashes).
    public func option(named name: String) -> OptionDefinition? {
        options.first { $0.name == name }
    }

    /// Returns the option with this one-letter name (without the dash).
    public func option(shortName: Character) -> OptionDefinition? {
        options.first { $0.shortName == shortName }
    }
}

/// An option (`--name value`) or a flag (`--name`).
public struct OptionDefinition: Sendable {
    public enum Kind: Sendable, Hashable {
        /// Takes no value; given or not.
        case flag
        /// Takes one value; when given several times, the last one counts.
        case value
        /// Takes one value each time it is given, and keeps them all in order.
        case repeatedValue
    }

    /// The long name, without the leading `--`.
    public var name: String
    public var shortName: Character?
    public var kind: Kind
    /// The placeholder for the value in help, such as `seconds` or `name[,weight]`.
    public var valueName: String
    /// The description of the setting, with its unit.
    public var help: String
    /// The value used when the option is not given, shown in help; nil when there is none.
    public var defaultValue: String?
    /// Whether leaving the option out is an error.
    public var isRequired: Bool

    public init(
        _ name: String, shortName: Character? = nil, kind: Kind = .value, valueName: String? = nil, help: String,
        defaultValue: String? = nil, isRequired: Bool = false
    ) {
        self.name = name
        self.shortName = shortName
        self.kind = kind
        self.valueName = valueName ?? name
        self.help = help
        self.defaultValue = defaultValue
        self.isRequired = isRequired
    }

    /// Defines a flag.
    public static func flag(_ name: String, shortName: Character? = nil, help: String) -> OptionDefinition {
        OptionDefinition(name, shortName: shortName, kind: .flag, help: help)
    }

    /// The option as usage lines write it: `--name <value>`, or `--name` for a flag.
    public var usage: String {
        kind == .flag ? "--\(name)" : "--\(name) <\(valueName)>"
    }
}

/// A positional argument.
public struct ArgumentDefinition: Sendable {
    public var name: String
    public var help: String
    public var isRequired: Bool

    public init(_ name: String, help: String, isRequired: Bool = true) {
        self.name = name
        self.help = help
        self.isRequired = isRequired
    }
}

/// An environment variable a command reads, as its help lists it.
public struct EnvironmentVariableHelp: Sendable, Hashable {
    public var name: String
    public var summary: String
    /// The value used when the variable is unset; empty when it has none.
    public var defaultValue: String

    public init(name: String, summary: String, defaultValue: String = "") {
        self.name = name
        self.summary = summary
        self.defaultValue = defaultValue
    }
}
