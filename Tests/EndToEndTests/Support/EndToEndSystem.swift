import CurlClient
import Foundation
import LogsCore
import LogsStorage
import TestSupport
import Testing

@testable import LogsTransport

/// The whole service as production runs it: `travis-logs` processes with the Procfile's roles on a
/// database, Redis database, RabbitMQ vhost and S3 bucket of their own, and a Pusher stand-in that
/// checks signatures.
///
/// Run a scenario with ``with(_:_:)``, which stops every process and removes every resource it
/// made, also when the scenario fails.
final class EndToEndSystem: @unchecked Sendable {
    // @unchecked Sendable: the stored properties are set in `init` and only read afterwards. The
    // processes are started and stopped by the one test that owns the system.

    /// The Procfile's process types that a scenario runs.
    enum Role: String, CaseIterable, Sendable {
        case web
        case drain
        case workerCritical = "worker_critical"
        case workerHigh = "worker_high"
        case workerLow = "worker_low"
        case sweeper

        /// The subcommand and options, with the Procfile's queue assignments.
        var arguments: [String] {
            switch self {
            case .web: ["web"]
            case .drain: ["drain"]
            case .workerCritical: ["worker", "--concurrency", "5", "--queue", "logs.pusher_forwarding,1"]
            case .workerHigh: ["worker", "--concurrency", "5", "--queue", "aggregate,1", "--queue", "log_parts,1"]
            case .workerLow:
                [
                    "worker", "--concurrency", "5", "--queue", "archive,1", "--queue", "maintenance,1",
                    "--queue", "purge_log,1", "--queue", "timing_info,1",
                ]
            case .sweeper: ["sweeper"]
            }
        }
    }

    /// What a scenario changes from the defaults.
    struct Options: Sendable {
        var roles: [Role] = Role.allCases
        /// Variables added to, or replacing, the processes' environment.
        var environment: [String: String] = [:]
    }

    let token = "e2e-" + UUID().uuidString
    let jobIDBase: Int64
    let databaseURL: String
    let redisURL: String
    let amqpURL: String
    let bucket: String
    let webURL: String
    let workDirectory: URL
    let jwtPrivateKey: URL
    let pusher: LocalPythonServer
    private(set) var processes: [Role: ChildProcess] = [:]
    let environment: [String: String]

    private let resources: Resources

    /// Every variable a scenario needs, as `script/test` exports them from `script/services`.
    static let requiredVariables = [
        "DATABASE_URL", "REDIS_URL", "RABBITMQ_URL", "RABBITMQ_MANAGEMENT_PORT", "TRAVIS_S3_ENDPOINT",
        "TRAVIS_S3_ACCESS_KEY_ID", "TRAVIS_S3_SECRET_ACCESS_KEY", "LOGS_TEST_PYTHON",
    ]

    /// Whether the services are there, or the run is under CI, where their absence fails the tests.
    static var isAvailable: Bool {
        TestEnvironment.isCI || requiredVariables.allSatisfy { TestEnvironment.value($0) != nil }
    }

    /// Starts a system, runs `body` with it, and stops and removes it whatever happens.
    static func with(
        _ options: Options = Options(), _ body: (EndToEndSystem) async throws -> Void
    ) async throws {
        let system = try await EndToEndSystem(options: options)
        do {
            try await body(system)
        } catch {
            await system.shutDown(keepingLogs: true)
            throw error
        }
        await system.shutDown(keepingLogs: false)
    }

    private init(options: Options) async throws {
        for name in Self.requiredVariables { _ = try TestEnvironment.require(name) }
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        jobIDBase = Int64.random(in: 1_000_000...1_000_000_000)
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("travis-logs-e2e-\(suffix)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        resources = Resources(suffix: String(suffix))
        databaseURL = try await resources.createDatabase()
        redisURL = try await resources.flushRedisDatabase()
        amqpURL = try await resources.createVirtualHost()
        bucket = try await resources.createBucket()
        jwtPrivateKey = workDirectory.appendingPathComponent("jwt.pem")
        let publicKey = try await Self.makeKeyPair(privateKey: jwtPrivateKey)
        pusher = try await PusherTestServer.start()
        let port = try freeLoopbackPort()
        webURL = "http://127.0.0.1:\(port)"

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TRAVIS_") }
        environment.merge(
            [
                "DATABASE_URL": databaseURL, "REDIS_URL": redisURL, "RABBITMQ_URL": amqpURL,
                "AUTH_TOKEN": token, "JWT_RSA_PUBLIC_KEY": publicKey, "PORT": String(port),
                "BIND_ADDRESS": "127.0.0.1", "TRAVIS_LOG_LEVEL": "info",
                "TRAVIS_LOGS_ARCHIVE": "true", "TRAVIS_LOGS_PURGE": "true", "TRAVIS_LOGS_INTERVALS_PURGE": "0",
                "TRAVIS_LOGS_INTERVALS_REGULAR": "1", "TRAVIS_LOGS_INTERVALS_AGGREGATE": "2",
                "TRAVIS_LOGS_INTERVALS_SWEEPER": "4", "TRAVIS_LOGS_INTERVALS_TIMING_INFO": "1",
                "TRAVIS_LOGS_DRAIN_CONSUMER_COUNT": "2", "TRAVIS_LOGS_DRAIN_EXECUTION_INTERVAL": "0.2",
                "TRAVIS_LOGS_MAINTENANCE_INITIAL_SLEEP": "1", "TRAVIS_LOGS_SIDEKIQ_ERROR_RETRY_PAUSE": "0.2",
                "TRAVIS_S3_ENDPOINT": try TestEnvironment.require("TRAVIS_S3_ENDPOINT"),
                "TRAVIS_S3_ACCESS_KEY_ID": try TestEnvironment.require("TRAVIS_S3_ACCESS_KEY_ID"),
                "TRAVIS_S3_SECRET_ACCESS_KEY": try TestEnvironment.require("TRAVIS_S3_SECRET_ACCESS_KEY"),
                "TRAVIS_S3_REGION": TestEnvironment.value("TRAVIS_S3_REGION") ?? "us-east-1",
                "TRAVIS_LOG_OPTIONS_S3_BUCKET": bucket,
                "TRAVIS_PUSHER_APP_ID": PusherTestServer.appID, "TRAVIS_PUSHER_KEY": PusherTestServer.key,
                "TRAVIS_PUSHER_SECRET": PusherTestServer.secret, "TRAVIS_PUSHER_HOST": "127.0.0.1",
                "TRAVIS_PUSHER_PORT": String(pusher.port), "TRAVIS_PUSHER_SCHEME": "http",
                "TRAVIS_CHANNELS_EXISTENCE_CHECK": "false",
            ]
        ) { $1 }
        environment.merge(options.environment) { $1 }
        self.environment = environment

        do {
            for role in options.roles {
                processes[role] = try ChildProcess(
                    name: role.rawValue, arguments: role.arguments, environment: environment,
                    logDirectory: workDirectory)
            }
            if options.roles.contains(.web) { try await waitForWeb() }
        } catch {
            await shutDown(keepingLogs: true)
            throw error
        }
    }

    /// Returns the process of a role.
    func process(_ role: Role) throws -> ChildProcess {
        try #require(processes[role], "the scenario did not start \(role.rawValue)")
    }

    /// Stops every process, then removes the database, vhost, Redis keys and bucket.
    ///
    /// With `keepingLogs`, the processes' log files stay in `workDirectory` and their path is
    /// printed, so a failed run can be read.
    func shutDown(keepingLogs: Bool) async {
        for process in processes.values {
            await process.stop()
        }
        for process in processes.values where !process.errorLines.isEmpty {
            print("\(process.name) logged errors:\n" + process.errorLines.prefix(20).joined(separator: "\n"))
        }
        pusher.stop()
        await resources.remove()
        if keepingLogs {
            print("end-to-end process logs are in \(workDirectory.path)")
        } else {
            try? FileManager.default.removeItem(at: workDirectory)
        }
    }

    // MARK: - Reading the system's state

    /// Runs SQL on the system's database.
    @discardableResult
    func sql(_ text: String) async throws -> PostgresRows {
        let client = PostgresClient(configuration: PostgresConfiguration(url: databaseURL, maximumConnections: 1))
        defer { Task { await client.close() } }
        return try await client.withConnection { connection in
            try connection.execute(text, name: "e2e_sql")
        }
    }

    /// Returns the archived object of a job, or nil when there is none.
    func archivedObject(jobID: Int64) async throws -> Data? {
        try await S3Archive(settings: resources.s3Settings(bucket: bucket), logger: Logger(label: "e2e-s3"))
            .content(jobID: JobID(jobID))
    }

    /// Replaces a job's archived object behind the system's back.
    func putObject(jobID: Int64, content: Data) async throws {
        try await resources.putObject(key: "jobs/\(jobID)/log.txt", content: content)
    }

    /// Sends a request to `web` with the token, and returns the response.
    func request(_ method: String, _ path: String, body: Data? = nil) async throws -> HTTPResponse {
        let request = HTTPRequest(
            method: method, url: webURL + path,
            headers: [("Authorization", "token \(token)"), ("Content-Type", "application/json")], body: body)
        return try await CurlHTTPClient(name: "e2e").execute(request)
    }

    /// Returns the events the Pusher stand-in accepted, as `(channel, data)` pairs in arrival order.
    func pusherEvents() async throws -> [(channel: String, data: JSONValue)] {
        let response = try await CurlHTTPClient(name: "e2e-pusher").execute(
            HTTPRequest(method: "GET", url: pusher.baseURL + "/_received"))
        var events: [(String, JSONValue)] = []
        for request in try JSONValue(parsing: response.body).arrayValue ?? [] {
            let body = request["body"]
            let batch = body?["batch"]?.arrayValue ?? [body].compactMap { $0 }
            for event in batch {
                let channels = event["channels"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let channel = event["channel"]?.stringValue ?? channels.first ?? ""
                let data = try event["data"]?.stringValue.map { try JSONValue(parsing: Data($0.utf8)) } ?? .null
                events.append((channel, data))
            }
        }
        return events
    }

    // MARK: - Feeding the system

    /// Publishes AMQP messages as workers do: persistent, to exchange `reporting` with routing key
    /// `reporting.jobs.logs`, declaring the drain's queues first so no message is dropped.
    func publish(_ messages: [Data]) async throws {
        let connection = AMQPConnection(endpoint: try AMQPEndpoint(url: amqpURL), name: "e2e-publisher")
        try await connection.open()
        let settings = DrainSettings()
        try await DrainTopology(settings: settings, logger: Logger(label: "e2e-publisher")).declare(on: connection)
        for message in messages {
            try await connection.publish(message, exchange: settings.exchangeName, routingKey: settings.routingKey)
        }
        await connection.close()
    }

    /// Runs `travis-logs send` for a file and returns its exit status and output.
    func send(file: URL, jobID: Int64, arguments: [String] = []) async throws -> CommandResult {
        let executable = try ChildProcess.executableURL().path
        return try await runCommand(
            executable,
            ["send", file.path, "--job-id", String(jobID), "--url", webURL, "--jwt-key", jwtPrivateKey.path]
                + arguments)
    }

    /// Polls `condition` every 100 ms until it is true or `timeout` passes.
    ///
    /// - Throws: an error naming `what` and listing the processes' error lines when time runs out.
    func wait(
        for what: String, timeout: Duration = .seconds(90), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        if try await condition() { return }
        let errors = processes.values.flatMap { process in process.errorLines.prefix(5).map { "\(process.name): \($0)" }
        }
        throw EndToEndError(
            "timed out after \(timeout) waiting for \(what); process errors:\n" + errors.joined(separator: "\n"))
    }

    private func waitForWeb() async throws {
        try await wait(for: "web to answer /uptime", timeout: .seconds(30)) {
            try await CurlHTTPClient(name: "e2e-uptime").execute(HTTPRequest(method: "GET", url: webURL + "/uptime"))
                .status == 200
        }
    }

    private static func makeKeyPair(privateKey: URL) async throws -> String {
        let generated = try await runCommand(
            "openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privateKey.path])
        guard generated.status == 0 else { throw EndToEndError("openssl genpkey failed: \(generated.output)") }
        let publicKey = privateKey.deletingPathExtension().appendingPathExtension("pub.pem")
        let exported = try await runCommand(
            "openssl", ["pkey", "-in", privateKey.path, "-pubout", "-out", publicKey.path])
        guard exported.status == 0 else { throw EndToEndError("openssl pkey failed: \(exported.output)") }
        return try String(contentsOf: publicKey, encoding: .utf8)
    }
}

/// A failed step of an end-to-end scenario.
struct EndToEndError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
