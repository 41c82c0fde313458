/// An invalid environment variable found while building a ``LogsConfiguration``.
///
/// Neither ``value`` nor ``description`` ever contain a secret: the value of a secret variable is
/// left out, and a password inside a URL is replaced by `[secure]`.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable, such as `TRAVIS_LOGS_DRAIN_BATCH_SIZE`.
    public var variable: String
    /// The value with passwords masked, or nil when the variable contains a secret.
    public var value: String?
    /// The expected form of the value, such as `expected a positive integer`.
    public var reason: String

    /// Creates an error for `rawValue`, masking it as ``LogsConfiguration/displayValue(_:of:)`` does.
    init(variable: String, rawValue: String, reason: String) {
        self.variable = variable
        let isSecret = LogsConfiguration.isSecret(variable: variable)
        self.value = isSecret ? nil : LogsConfiguration.maskingPasswords(in: rawValue)
        self.reason = reason
    }

    /// A one-line message such as `invalid TRAVIS_LOGS_DRAIN_BATCH_SIZE "abc": expected a positive integer`.
    public var description: String {
        guard let value else {
            return "invalid \(variable): \(reason)"
        }
        return "invalid \(variable) \(value.debugDescription): \(reason)"
    }
}
