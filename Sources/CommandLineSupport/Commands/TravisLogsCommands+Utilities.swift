import LogsCore

extension TravisLogsCommands {
    public static let config = CommandDefinition(
        name: "config",
        abstract: "Prints the effective configuration, secrets masked.",
        discussion: """
            Reads every variable below, checks it, and prints each name with the value a process would \
            use. Secrets are shown as [secure] and passwords inside URLs are masked. An invalid value \
            stops with a message naming the variable.
            """,
        options: [
            .flag("example-env", help: "Print the contents of .example.env instead: every variable with its default.")
        ],
        environment: LogsConfiguration.variables.map {
            EnvironmentVariableHelp(name: $0.name, summary: $0.summary, defaultValue: $0.defaultValue)
        })

    public static let version = CommandDefinition(name: "version", abstract: "Prints the version.")
}
