import LogsCore

/// The subcommands of `travis-logs`: one per process type of the original `Procfile`, the
/// embedded `dev` mode, the `send` load generator, and `config` and `version`.
public enum TravisLogsCommands {
    public static let programName = "travis-logs"

    public static let all: [CommandDefinition] = [web, drain, worker, sweeper, maintenance, dev, send, config, version]

    public static let commandSet = CommandSet(
        programName: programName,
        abstract: "Receives CI job logs, stores and aggregates them, archives them, and streams them live.",
        commands: all)

    /// The `--metrics-port` option of processes that serve no HTTP API of their own.
    static let metricsPort = OptionDefinition(
        "metrics-port", valueName: "port",
        help: "TCP port, 1 to 65535, that serves GET /metrics in Prometheus text format. "
            + "No metrics endpoint when not given.")

    /// Returns the help entries of the configuration variables with these names, in the order of
    /// `LogsConfiguration.variables`. A name ending in `*` stands for every name with that prefix.
    ///
    /// A name that matches no variable stops the process, because help would leave it out.
    static func environment(_ patterns: [String]) -> [EnvironmentVariableHelp] {
        for pattern in patterns {
            let matches = LogsConfiguration.variables.contains { matchesPattern($0.name, pattern) }
            precondition(matches, "no configuration variable matches \(pattern)")
        }
        return LogsConfiguration.variables
            .filter { variable in patterns.contains { matchesPattern(variable.name, $0) } }
            .map { variable in
                let aliases =
                    variable.aliases.isEmpty ? "" : " (also read as \(variable.aliases.joined(separator: ", ")))"
                return EnvironmentVariableHelp(
                    name: variable.name, summary: variable.summary + aliases, defaultValue: variable.defaultValue)
            }
    }

    private static func matchesPattern(_ name: String, _ pattern: String) -> Bool {
        pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
    }

    /// Variables every process that uses the database and the job queues reads.
    static let storageAndQueueVariables = [
        "DATABASE_URL", "PGBOUNCER_PREPARED_STATEMENTS", "REDIS_URL", "REDIS_SSL", "TRAVIS_SIDEKIQ_*",
        "TRAVIS_LOG_LEVEL",
    ]
}
