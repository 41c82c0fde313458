extension TravisLogsCommands {
    public static let dev = CommandDefinition(
        name: "dev",
        abstract: "Runs every process in one, with no outside service.",
        discussion: """
            Runs the HTTP API, the workers, the sweeper and the live stream in this process, with logs and \
            parts in a SQLite file and archives in a folder, both under the data directory, and the job \
            queues in memory. The drain joins in when RABBITMQ_URL is set. Prints the API's URL and its \
            token: AUTH_TOKEN when set, else a generated one. Data survives a restart.
            """,
        options: [
            OptionDefinition(
                "directory", valueName: "path",
                help: "Folder for the SQLite database and the archived logs, created when missing.",
                defaultValue: ".travis-logs"),
            OptionDefinition(
                "port", valueName: "port",
                help: "TCP port, 1 to 65535, that the API listens on. Defaults to PORT, which defaults to 5555."),
        ],
        environment: environment([
            "AUTH_TOKEN", "JWT_RSA_PUBLIC_KEY", "PORT", "RABBITMQ_URL", "TRAVIS_LOG_LEVEL", "TRAVIS_LOGS_INTERVALS_*",
            "TRAVIS_LOGS_PER_AGGREGATE_LIMIT",
        ]))

    public static let send = CommandDefinition(
        name: "send",
        abstract: "Streams a log file to a running web process, as a CI worker does.",
        discussion: """
            Cuts the file into parts of at most 1653 bytes followed by an empty final part, and sends \
            them with PUT /log-parts/:job_id/:number and a token, or with POST /log-parts/multi and a \
            JSON Web Token per part signed with the given RSA private key. Shows progress on a terminal \
            and prints a summary line at the end. Also serves as the load generator for benchmarks. \
            The final part is sent last, once every other part was accepted. Exits 0 when every part \
            was accepted, 1 when some could not be delivered, and 2 for invalid arguments, an \
            unreadable file or an invalid key.
            """,
        options: [
            OptionDefinition(
                "job-id", valueName: "id", help: "Job id the log belongs to, 1 or more.", isRequired: true),
            OptionDefinition(
                "url", valueName: "url", help: "Base URL of the web process.", defaultValue: "http://127.0.0.1:5555"),
            OptionDefinition(
                "token", valueName: "token",
                help: "API token sent as \"Authorization: token ...\". Defaults to AUTH_TOKEN."),
            OptionDefinition(
                "jwt-key", valueName: "file",
                help: "PEM file of the RSA private key that signs an RS512 token per part; sends with "
                    + "POST /log-parts/multi instead of a token. When not given, a token is used."),
            OptionDefinition(
                "rate", valueName: "parts-per-second",
                help: "Maximum parts sent per second, more than 0. As fast as the server accepts when not given."),
            OptionDefinition(
                "concurrency", shortName: "c", valueName: "count",
                help: "Maximum requests in flight at once, 1 to 64.", defaultValue: "4"),
            OptionDefinition(
                "retry-timeout", valueName: "seconds",
                help: "How long a request is retried after connection errors and 408, 429 or 5xx statuses "
                    + "before the send fails, 1 to 86400.",
                defaultValue: "120"),
        ],
        arguments: [ArgumentDefinition("file", help: "The log file to send, or - for standard input.")],
        environment: [
            EnvironmentVariableHelp(name: "AUTH_TOKEN", summary: "API token used when --token is not given")
        ])
}
