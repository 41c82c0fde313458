extension TravisLogsCommands {
    public static let dev = CommandDefinition(
        name: "dev",
        abstract: "Runs every process in one, with no outside service.",
        discussion: """
            Runs the HTTP API, the workers of every queue, the sweeper and the live stream in this \
            process. Logs, parts and the job queues are kept in <directory>/logs.sqlite3 and archives in \
            <directory>/archive/jobs/<job_id>/log.txt, so jobs and parts survive a crash and are processed \
            at the next start. The drain joins in when RABBITMQ_URL is set. Listens on 127.0.0.1 unless \
            BIND_ADDRESS is set. Prints the API's URL and its token: AUTH_TOKEN when set, else a token \
            generated for this run. \
            Differences from the production processes: no PostgreSQL, Redis, S3 or Pusher is used; \
            maintenance, locks and channel presence are kept in memory; and unless they are set, \
            TRAVIS_LOGS_INTERVALS_REGULAR is 1 second, TRAVIS_LOGS_INTERVALS_AGGREGATE 2 seconds and \
            TRAVIS_LOGS_INTERVALS_SWEEPER 5 seconds, so a log appears archived a few seconds after its \
            final part.
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
