import CurlClient
import Foundation
import LogsCore
import LogsStorage
import LogsTransport
import Synchronization
import TestSupport
import Testing

/// The database, Redis database, RabbitMQ vhost and S3 bucket of one end-to-end system, each made
/// from the shared test services and removed afterwards.
final class Resources: @unchecked Sendable {
    // @unchecked Sendable: the names are set once by the `create` calls, which the system's
    // initializer makes one after another, and read by `remove()` after the scenario.
    let suffix: String
    private var databaseName: String?
    private var vhost: String?
    private var bucket: String?

    /// The Redis databases the scenarios use in turn, apart from database 0 where the other suites
    /// keep their namespaced keys, so two systems of one test process never share queues.
    private static let redisDatabases = Mutex(Array(1...15))

    private static func nextRedisDatabase() -> Int {
        redisDatabases.withLock { databases in
            let next = databases.removeFirst()
            databases.append(next)
            return next
        }
    }

    init(suffix: String) {
        self.suffix = suffix
    }

    /// Creates a database and deploys `db/` into it with sqitch, as an operator would.
    func createDatabase() async throws -> String {
        let admin = try TestEnvironment.require("DATABASE_URL")
        let name = "travis_logs_e2e_\(suffix)"
        try await PostgresTestSQL.execute("CREATE DATABASE \(name)", on: admin)
        databaseName = name
        let url = Self.replacingPath(of: admin, with: "/" + name)
        let target = "db:pg://" + url.replacingOccurrences(of: "postgres://", with: "")
        let deployed = try await runCommand(
            "sqitch", ["--quiet", "deploy", target], in: Self.repositoryRoot.appendingPathComponent("db"))
        guard deployed.status == 0 else { throw EndToEndError("sqitch deploy failed: \(deployed.output)") }
        return url
    }

    /// Empties the scenarios' Redis database and returns its URL.
    func flushRedisDatabase() async throws -> String {
        let url = Self.replacingPath(of: try TestEnvironment.require("REDIS_URL"), with: "/\(Self.nextRedisDatabase())")
        let pool = RedisConnectionPool(endpoint: try RedisEndpoint(url: url), logger: Logger(label: "e2e-redis"))
        _ = try await pool.send("FLUSHDB")
        pool.close()
        return url
    }

    /// Creates a vhost that the test user may use fully, and returns the AMQP URL that names it.
    func createVirtualHost() async throws -> String {
        let name = "e2e-\(suffix)"
        let endpoint = try AMQPEndpoint(url: try TestEnvironment.require("RABBITMQ_URL"))
        try await management("PUT", "vhosts/\(name)", endpoint: endpoint)
        vhost = name
        try await management(
            "PUT", "permissions/\(name)/\(Self.encoded(endpoint.username))", endpoint: endpoint,
            body: #"{"configure":".*","write":".*","read":".*"}"#)
        return Self.replacingPath(of: try TestEnvironment.require("RABBITMQ_URL"), with: "/" + name)
    }

    /// Creates a bucket with boto3, so the archive is checked by another S3 client.
    func createBucket() async throws -> String {
        let name = "travis-logs-e2e-\(suffix)"
        try await Boto3Bucket.create(name)
        bucket = name
        return name
    }

    /// Overwrites an object with boto3, bypassing the archive, as a faulty S3 or an operator might.
    func putObject(key: String, content: Data) async throws {
        let bucket = try #require(self.bucket, "no bucket was created")
        try await Boto3Bucket.putObject(bucket, key: key, content: content)
    }

    /// Returns the S3 settings of the services, with `bucket`.
    func s3Settings(bucket: String) throws -> LogsConfiguration.S3 {
        var settings = try LogsConfiguration(environment: ProcessInfo.processInfo.environment).s3
        settings.bucket = bucket
        return settings
    }

    /// Removes what the `create` calls made. Failures are printed, not thrown.
    func remove() async {
        if let databaseName, let admin = TestEnvironment.value("DATABASE_URL") {
            await report("dropping \(databaseName)") {
                try await PostgresTestSQL.execute("DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)", on: admin)
            }
        }
        if let vhost, let url = TestEnvironment.value("RABBITMQ_URL") {
            await report("deleting vhost \(vhost)") {
                try await self.management("DELETE", "vhosts/\(vhost)", endpoint: try AMQPEndpoint(url: url))
            }
        }
        if let bucket {
            await report("deleting bucket \(bucket)") {
                try await Boto3Bucket.delete(bucket)
            }
        }
    }

    private func report(_ what: String, _ body: () async throws -> Void) async {
        do { try await body() } catch { print("end-to-end clean-up: \(what) failed: \(error)") }
    }

    private func management(_ method: String, _ path: String, endpoint: AMQPEndpoint, body: String? = nil) async throws
    {
        let port = try TestEnvironment.require("RABBITMQ_MANAGEMENT_PORT")
        let credentials = Data("\(endpoint.username):\(endpoint.password)".utf8).base64EncodedString()
        let request = HTTPRequest(
            method: method, url: "http://\(endpoint.host):\(port)/api/\(path)",
            headers: [("Authorization", "Basic \(credentials)"), ("Content-Type", "application/json")],
            body: body.map { Data($0.utf8) })
        let response = try await CurlHTTPClient(name: "e2e-management").execute(request)
        guard response.isSuccess else {
            throw EndToEndError("RabbitMQ management \(method) \(path) answered \(response.status)")
        }
    }

    private static func replacingPath(of url: String, with path: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.percentEncodedPath = path
        return components.string ?? url
    }

    private static func encoded(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? segment
    }

    /// The repository checkout, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}
