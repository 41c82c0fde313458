import Foundation
import LogsCore

/// The configuration changes of `travis-logs dev`, and its API token.
public enum DevSettings {
    /// Interval variables that dev sets when the environment does not, so that a log sent to dev
    /// is aggregated and archived within a few seconds. They are, in seconds, the delay from the
    /// final part to aggregation, the time between sweeps, and the age of a final part that a
    /// sweep picks up.
    public static let intervalDefaults: [(name: String, value: String)] = [
        ("TRAVIS_LOGS_INTERVALS_REGULAR", "1"),
        ("TRAVIS_LOGS_INTERVALS_AGGREGATE", "2"),
        ("TRAVIS_LOGS_INTERVALS_SWEEPER", "5"),
    ]

    /// The folder used when `--directory` is not given.
    public static let defaultDirectory = ".travis-logs"

    /// Reads the configuration from `environment` with `intervalDefaults` for the interval
    /// variables it leaves unset or empty.
    ///
    /// - Throws: `ConfigurationError` naming an invalid variable.
    public static func configuration(environment: [String: String]) throws -> LogsConfiguration {
        var merged = environment
        for (name, value) in intervalDefaults where (merged[name] ?? "").isEmpty {
            merged[name] = value
        }
        return try LogsConfiguration(environment: merged)
    }

    /// Returns a new API token: 32 random bytes in hex.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
