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
