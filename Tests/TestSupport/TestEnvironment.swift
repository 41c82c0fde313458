import Foundation

/// Environment variables that integration tests read, as `script/test` exports them from
/// `script/services`.
public enum TestEnvironment {
    /// Whether the tests run under CI, where a missing service fails a test instead of skipping it.
    public static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    public static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// Whether a test that needs these variables should run: when all are set, or under CI, where the
    /// test then fails on the missing one.
    public static func shouldRun(needing names: String...) -> Bool {
        isCI || names.allSatisfy { value($0) != nil }
    }

    /// The Python interpreter with botocore and pusher installed, from `LOGS_TEST_PYTHON`.
    public static var python: String? {
        value("LOGS_TEST_PYTHON")
    }
}

extension TestEnvironment {
    /// Returns the variable's value.
    ///
    /// - Throws: `MissingVariableError` when it is unset or empty.
    public static func require(_ name: String) throws -> String {
        guard let value = value(name) else { throw MissingVariableError(name: name) }
        return value
    }
}

/// An environment variable a test needs is unset, which under CI means a service script failed.
public struct MissingVariableError: Error, CustomStringConvertible {
    public var name: String

    public var description: String {
        "\(name) is not set; run the tests through script/test, which starts the services in script/services"
    }
}
