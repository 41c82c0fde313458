import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// The Redis server that `script/services/redis` starts, found through `REDIS_URL`.
///
/// Suites that need it are enabled when `REDIS_URL` is set, or always under `CI=true`, where a
/// missing server then fails the test instead of skipping it.
enum RedisTestServer {
    static let environment = ProcessInfo.processInfo.environment

    static var isEnabled: Bool {
        environment["REDIS_URL"] != nil || environment["CI"] == "true"
    }

    static let skipReason: Comment = "REDIS_URL is unset; run script/test, or script/services/redis start DIR"

    /// The server's URL; fails the test when it is unset under CI.
    static func url() throws -> String {
        try #require(environment["REDIS_URL"], "REDIS_URL is unset under CI=true: script/services/redis did not run")
    }

    /// `REDIS_URL` with its database number replaced, for suites that need keys without a prefix.
    static func url(database: Int) throws -> String {
        var components = try #require(URLComponents(string: try url()))
        components.path = "/\(database)"
        return try #require(components.string)
    }

    static func makePool(
        database: Int? = nil, size: Int = 4,
        logger: Logger = Logger(
            label: "redis-test",
            factory: { _ in
                RecordingLogHandler()
            })
    ) throws -> RedisConnectionPool {
        let url = try database.map { try self.url(database: $0) } ?? self.url()
        return RedisConnectionPool(
            endpoint: try RedisEndpoint(url: url), settings: RedisConnectionPool.Settings(size: size), logger: logger)
    }

    /// A key prefix that no other test run uses.
    static func uniqueNamespace(_ suite: String) -> String {
        "test-\(suite)-\(UUID().uuidString.prefix(8)):"
    }

    /// Deletes every key that starts with `prefix`.
    static func deleteKeys(prefix: String, in pool: RedisConnectionPool) async throws {
        var cursor = "0"
        repeat {
            let reply = try await pool.send("SCAN", cursor, "MATCH", "\(prefix)*", "COUNT", "1000")
            let parts = reply.arrayValue ?? []
            cursor = parts.first?.stringValue ?? "0"
            let keys = parts.last?.arrayValue?.compactMap(\.stringValue) ?? []
            if !keys.isEmpty { _ = try await pool.send(["DEL"] + keys) }
        } while cursor != "0"
    }
}
