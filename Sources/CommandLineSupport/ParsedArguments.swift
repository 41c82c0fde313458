/// The options, flags and positional arguments of one parsed command line.
///
/// Accessors take the names used in the `CommandDefinition`; asking for a name it does not define
/// is a programming error and stops the process. Typed accessors check values and throw
/// `ArgumentError` with code `.invalidValue`, naming the option and the value.
public struct ParsedArguments: Sendable {
    public let command: CommandDefinition
    /// Whether `--help` or `-h` was given; nothing else was parsed then.
    public internal(set) var isHelpRequested = false
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    public internal(set) var positionals: [String] = []

    init(command: CommandDefinition) {
        self.command = command
    }

    /// Returns the option's last given value, or its default.
    public func value(_ name: String) -> String? {
        values[name]?.last ?? definition(name).defaultValue
    }

    /// Returns every value given for a repeated option, in order, or its default when none was given.
    public func values(_ name: String) -> [String] {
        if let given = values[name] { return given }
        return definition(name).defaultValue.map { [$0] } ?? []
    }

    /// Returns whether the flag was given.
    public func isSet(_ name: String) -> Bool {
        precondition(definition(name).kind == .flag, "\(name) is not a flag")
        return flags.contains(name)
    }

    /// Returns the positional argument with this name, if given.
    public func argument(_ name: String) -> String? {
        guard let index = command.arguments.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("\(command.name) defines no argument named \(name)")
        }
        return positionals.indices.contains(index) ? positionals[index] : nil
    }

    /// Converts the option's value with `convert`.
    ///
    /// - Parameter expected: what a valid value is, for the error message, such as
    ///   "an integer from 1 to 65535".
    /// - Returns: nil when the option was not given and has no default.
    public func value<T>(_ name: String, expected: String, _ convert: (String) -> T?) throws(ArgumentError) -> T? {
        guard let text = value(name) else { return nil }
        guard let converted = convert(text) else { throw invalid(name, text, expected: expected) }
        return converted
    }

    /// Returns the option's value as an integer within `range`.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(ArgumentError) -> Int? {
        try value(name, expected: "an integer from \(range.lowerBound) to \(range.upperBound)") { text in
            Int(text).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// Returns the option's value as a number within `range`.
    public func number(_ name: String, in range: ClosedRange<Double>) throws(ArgumentError) -> Double? {
        try value(name, expected: "a number from \(range.lowerBound) to \(range.upperBound)") { text in
            Double(text).flatMap { $0.isFinite && range.contains($0) ? $0 : nil }
        }
    }

    /// Builds the error for an invalid value of an option.
    public func invalid(_ name: String, _ value: String, expected: String) -> ArgumentError {
        ArgumentError(.invalidValue, "invalid value '\(value)' for '\(definition(name).usage)': expected \(expected)")
    }

    private func definition(_ name: String) -> OptionDefinition {
        guard let option = command.option(named: name) else {
            preconditionFailure("\(command.name) defines no option named \(name)")
        }
        return option
    }
}
