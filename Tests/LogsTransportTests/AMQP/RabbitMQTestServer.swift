import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// The RabbitMQ node that `script/services/rabbitmq` starts, found through `RABBITMQ_URL`.
///
/// Suites that need it are enabled when `RABBITMQ_URL` is set, or always under `CI=true`, where a
/// missing node then fails the test instead of skipping it.
enum RabbitMQTestServer {
    static let environment = ProcessInfo.processInfo.environment

    static var isEnabled: Bool {
        environment["RABBITMQ_URL"] != nil || environment["CI"] == "true"
    }

    static let skipReason: Comment = "RABBITMQ_URL is unset; run script/test, or script/services/rabbitmq start DIR"

    static func url() throws -> String {
        try #require(
            environment["RABBITMQ_URL"], "RABBITMQ_URL is unset under CI=true: script/services/rabbitmq did not run")
    }

    static func endpoint() throws -> AMQPEndpoint {
        try AMQPEndpoint(url: try url())
    }

    /// Opens a connection to the test node.
    static func connect(name: String = "amqp-test") async throws -> AMQPConnection {
        let connection = AMQPConnection(endpoint: try endpoint(), name: name)
        try await connection.open()
        return connection
    }

    /// Returns a queue name that no other test run uses.
    static func uniqueName(_ suite: String) -> String {
        "test.\(suite).\(UUID().uuidString.prefix(8).lowercased())"
    }
}
