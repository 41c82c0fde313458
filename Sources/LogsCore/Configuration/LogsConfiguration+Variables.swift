extension LogsConfiguration {
    /// One environment variable that ``LogsConfiguration/init(environment:)`` reads.
    public struct Variable: Sendable {
        /// The main name, such as `TRAVIS_LOGS_INTERVALS_REGULAR`.
        public let name: String
        /// Other names read, in order, when the main one is unset or empty.
        public let aliases: [String]
        /// A one-line description of the setting, with its unit.
        public let summary: String
        let effectiveValue: @Sendable (LogsConfiguration) -> String

        /// The value in an empty environment, written as ``LogsConfiguration/effectiveSettings()``
        /// writes it (empty when the setting is unset).
        public var defaultValue: String {
            effectiveValue(.defaults)
        }

        /// Whether the value is a secret, which is never shown.
        public var isSecret: Bool {
            LogsConfiguration.isSecret(variable: name)
        }
    }

    /// Every variable read, in a stable order, for `--help`, `.example.env` and start-up logs.
    public static let variables: [Variable] =
        connectionVariables + logsVariables + intervalVariables + pusherVariables + s3Variables
        + amqpVariables + otherVariables

    /// Lists every variable by its main name with its effective value, secrets shown as `[secure]`
    /// and passwords inside URLs masked.
    public func effectiveSettings() -> [(name: String, value: String)] {
        Self.variables.map { variable in
            (variable.name, Self.displayValue(variable.effectiveValue(self), of: variable.name))
        }
    }
}

extension LogsConfiguration.Variable {
    init(
        _ name: String,
        aliases: [String] = [],
        _ summary: String,
        value: @escaping @Sendable (LogsConfiguration) -> String
    ) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.effectiveValue = value
    }

    /// Formats a duration as a number of `unitSeconds`, without a fraction when it is whole.
    static func format(_ duration: Duration, unitSeconds: Double = 1) -> String {
        let (seconds, attoseconds) = duration.components
        let value = (Double(seconds) + Double(attoseconds) / 1e18) / unitSeconds
        return value == value.rounded() ? String(Int64(value)) : value.description
    }
}
