import Foundation

extension LogsConfiguration {
    /// Reads typed values from environment variables, throwing ``ConfigurationError`` for invalid ones.
    ///
    /// An empty variable counts as unset. Numbers, booleans and names may have surrounding whitespace.
    /// The reader records every name it looks at, so tests can check ``LogsConfiguration/variables``.
    struct EnvironmentReader {
        /// The largest duration accepted, about 31 years, so that every `Duration` computed from a
        /// setting stays far from overflowing.
        static let maximumSeconds: Int64 = 1_000_000_000

        let environment: [String: String]
        private(set) var namesRead: [String] = []

        init(environment: [String: String]) {
            self.environment = environment
        }

        /// Returns the first of `names` whose value is not empty, with that value.
        mutating func firstValue(_ names: String...) -> (name: String, value: String)? {
            namesRead += names
            for name in names {
                if let value = environment[name], !value.isEmpty {
                    return (name, value)
                }
            }
            return nil
        }

        /// Returns whether `name` is present at all, even with an empty value.
        mutating func isPresent(_ name: String) -> Bool {
            namesRead.append(name)
            return environment[name] != nil
        }

        mutating func string(_ name: String, default defaultValue: String) -> String {
            firstValue(name)?.value ?? defaultValue
        }

        mutating func optionalString(_ name: String) -> String? {
            firstValue(name)?.value
        }

        /// Reads `true`, `yes` or `1` as true and `false`, `no` or `0` as false, ignoring case.
        mutating func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
            guard let value = firstValue(name)?.value else {
                return defaultValue
            }
            switch trimmed(value).lowercased() {
            case "true", "yes", "1":
                return true
            case "false", "no", "0":
                return false
            default:
                throw ConfigurationError(variable: name, rawValue: value, reason: "expected true or false")
            }
        }

        mutating func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
            try optionalInteger(name, in: range) ?? defaultValue
        }

        mutating func optionalInteger(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let value = firstValue(name)?.value else {
                return nil
            }
            guard let number = Int(trimmed(value)), range.contains(number) else {
                throw ConfigurationError(variable: name, rawValue: value, reason: Self.integerReason(range))
            }
            return number
        }

        /// Reads a non-negative integer or decimal number of `unit`s, such as `10` or `2.5`.
        ///
        /// - Parameter allowsZero: Whether `0` is valid; when false the value must be positive.
        mutating func duration(
            _ name: String,
            default defaultValue: Duration,
            unit: DurationUnit = .seconds,
            allowsZero: Bool = true
        ) throws -> Duration {
            guard let value = firstValue(name)?.value else {
                return defaultValue
            }
            let qualifier = allowsZero ? "a non-negative" : "a positive"
            guard let amount = Self.parseDecimal(trimmed(value)), allowsZero || amount > .zero else {
                throw ConfigurationError(
                    variable: name,
                    rawValue: value,
                    reason: "expected \(qualifier) number of \(unit.name), such as 10 or 2.5"
                )
            }
            let maximum = Self.maximumSeconds / unit.seconds
            guard amount <= .seconds(maximum) else {
                let reason = "expected at most \(maximum) \(unit.name)"
                throw ConfigurationError(variable: name, rawValue: value, reason: reason)
            }
            return amount * unit.seconds
        }

        mutating func logLevel(_ name: String, default defaultValue: Logger.Level) throws -> Logger.Level {
            guard let value = firstValue(name)?.value else {
                return defaultValue
            }
            guard let level = Logger.Level(name: value) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(variable: name, rawValue: value, reason: "expected one of \(names)")
            }
            return level
        }

        /// Reads an absolute `http` or `https` URL with a host.
        mutating func httpURL(_ name: String) throws -> URL? {
            guard let value = firstValue(name)?.value else {
                return nil
            }
            let url = URL(string: trimmed(value))
            let scheme = url?.scheme?.lowercased()
            guard let url, scheme == "http" || scheme == "https", url.host?.isEmpty == false else {
                throw ConfigurationError(
                    variable: name,
                    rawValue: value,
                    reason: "expected an absolute http or https URL, such as http://127.0.0.1:8333"
                )
            }
            return url
        }

        private func trimmed(_ value: String) -> String {
            value.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        static func integerReason(_ range: ClosedRange<Int>) -> String {
            switch (range.lowerBound, range.upperBound) {
            case (1, Int.max): "expected a positive integer"
            case (0, Int.max): "expected a non-negative integer"
            case (Int.min, Int.max): "expected an integer"
            case (let lower, let upper): "expected an integer from \(lower) to \(upper)"
            }
        }

        /// Parses digits with an optional fraction (`10`, `2.5`) as that many seconds, exactly to
        /// the attosecond; digits beyond the 18th decimal place are dropped.
        static func parseDecimal(_ text: String) -> Duration? {
            let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            let isDigits = { (part: Substring) in !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) } }
            guard parts.allSatisfy(isDigits), let whole = Int64(parts[0]) else {
                return nil
            }
            var attoseconds: Int64 = 0
            if parts.count == 2 {
                let digits = parts[1].prefix(18)
                attoseconds = Int64(digits + String(repeating: "0", count: 18 - digits.count)) ?? 0
            }
            return Duration(secondsComponent: whole, attosecondsComponent: attoseconds)
        }
    }

    /// The unit in which a duration variable is written.
    struct DurationUnit {
        let name: String
        let seconds: Int64

        static let seconds = DurationUnit(name: "seconds", seconds: 1)
        static let hours = DurationUnit(name: "hours", seconds: 3600)
    }
}
