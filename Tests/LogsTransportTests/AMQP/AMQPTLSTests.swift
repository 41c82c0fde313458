import Foundation
import Testing

@testable import LogsTransport

/// The TLS listener of the test node, with the throwaway CA that `script/services/rabbitmq` made.
enum RabbitMQTLSTestServer {
    static var isEnabled: Bool {
        RabbitMQTestServer.environment["RABBITMQ_TLS_URL"] != nil || RabbitMQTestServer.environment["CI"] == "true"
    }

    static let skipReason: Comment =
        "RABBITMQ_TLS_URL is unset; run script/test, or script/services/rabbitmq start DIR"

    /// Returns the `amqps://` endpoint, which verifies the broker against the test CA.
    static func endpoint() throws -> AMQPEndpoint {
        let environment = RabbitMQTestServer.environment
        let url = try #require(environment["RABBITMQ_TLS_URL"], "RABBITMQ_TLS_URL is unset under CI=true")
        let caFile = try #require(environment["RABBITMQ_TLS_CA_FILE"], "RABBITMQ_TLS_CA_FILE is unset")
        return try AMQPEndpoint(url: "\(url)?cacertfile=\(caFile)")
    }
}

@Suite(
    "AMQP over TLS",
    .enabled(if: RabbitMQTLSTestServer.isEnabled, RabbitMQTLSTestServer.skipReason),
    .enabled(if: RedisTestServer.isEnabled, RedisTestServer.skipReason))
struct AMQPTLSTests {
    @Test("amqps URL with the test CA connects")
    func connectsWithCA() async throws {
        let endpoint = try RabbitMQTLSTestServer.endpoint()
        #expect(endpoint.usesTLS)
        #expect(endpoint.caCertificatePath == RabbitMQTestServer.environment["RABBITMQ_TLS_CA_FILE"])
        let connection = AMQPConnection(endpoint: endpoint, name: "tls-test")
        try await connection.open()
        let queue = RabbitMQTestServer.uniqueName("tls")
        try await connection.declareQueue(queue)
        try await connection.publishConfirmed(Data("over TLS".utf8), routingKey: queue, timeout: .seconds(5))
        try await connection.consume(queue: queue, prefetch: 1)
        let deliveries = try await connection.nextDeliveries(limit: 1, timeout: .seconds(5))
        #expect(deliveries.map { String(decoding: $0.body, as: UTF8.self) } == ["over TLS"])
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("drain consumes over amqps")
    func drainOverTLS() async throws {
        let harness = try await DrainHarness("tls", endpoint: try RabbitMQTLSTestServer.endpoint())
        let drain = try harness.makeDrain()
        let running = harness.start(drain)
        for number in 1...3 {
            try await harness.publish(#"{"id": 9, "log": "part \#(number)", "number": \#(number)}"#)
        }
        try await harness.wait("three stored parts") { try await harness.storedParts().count == 3 }
        drain.stop()
        await running.value
        #expect(try await harness.readyMessages() == 0)
        try await harness.cleanUp()
    }

    @Test("wrong CA fails with advice")
    func wrongCAFails() async throws {
        var endpoint = try RabbitMQTLSTestServer.endpoint()
        // The system's CA bundle does not contain the throwaway CA that signed the broker's certificate.
        endpoint.caCertificatePath = nil
        let connection = AMQPConnection(endpoint: endpoint, name: "tls-wrong-ca")
        let error = await #expect(throws: AMQPError.self) { try await connection.open() }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("/etc/ssl/certs/ca-certificates.crt") == true)
        #expect(error?.message.contains("cacertfile") == true)
        #expect(await !connection.isOpen)
    }

    @Test("missing CA file fails naming it")
    func missingCAFile() async throws {
        var endpoint = try RabbitMQTLSTestServer.endpoint()
        endpoint.caCertificatePath = "/nonexistent/ca.pem"
        let connection = AMQPConnection(endpoint: endpoint, name: "tls-missing-ca")
        let error = await #expect(throws: AMQPError.self) { try await connection.open() }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("/nonexistent/ca.pem") == true)
    }
}
