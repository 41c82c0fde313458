import Foundation
import Testing

@testable import LogsTransport

@Suite("AMQP connection", .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason))
struct AMQPConnectionTests {
    @Test("publishes, consumes and acknowledges up to a tag")
    func publishConsumeAcknowledge() async throws {
        let connection = try await RabbitMQTestServer.connect()
        let queue = RabbitMQTestServer.uniqueName("connection")
        try await connection.declareQueue(queue)
        for index in 1...5 {
            try await connection.publish(
                Data("message \(index)".utf8), routingKey: queue, contentType: "application/json")
        }
        try await connection.consume(queue: queue, prefetch: 10)
        var deliveries: [AMQPDelivery] = []
        while deliveries.count < 5 {
            let received = try await connection.nextDeliveries(limit: 10, timeout: .seconds(2))
            try #require(!received.isEmpty, "no delivery within 2 s")
            deliveries += received
        }
        #expect(deliveries.map { String(decoding: $0.body, as: UTF8.self) } == (1...5).map { "message \($0)" })
        #expect(deliveries.allSatisfy { $0.contentType == "application/json" })
        #expect(deliveries.allSatisfy { !$0.isRedelivered })
        try await connection.acknowledge(deliveryTag: deliveries[2].deliveryTag, multiple: true)
        await connection.close()

        // The last two were never acknowledged, so the broker keeps them for the next consumer.
        let second = try await RabbitMQTestServer.connect()
        let status = try await second.declareQueue(queue, passive: true)
        #expect(status.messageCount == 2)
        try await second.consume(queue: queue, prefetch: 10)
        let again = try await second.nextDeliveries(limit: 10, timeout: .seconds(2))
        #expect(again.map { String(decoding: $0.body, as: UTF8.self) } == ["message 4", "message 5"])
        #expect(again.allSatisfy { $0.isRedelivered })
        try await second.deleteQueue(queue)
        await second.close()
    }

    @Test("a deleted queue ends the consumer with consumerCancelled")
    func deletedQueueCancelsConsumer() async throws {
        let consumer = try await RabbitMQTestServer.connect()
        let queue = RabbitMQTestServer.uniqueName("cancelled")
        try await consumer.declareQueue(queue)
        try await consumer.consume(queue: queue, prefetch: 10)
        let other = try await RabbitMQTestServer.connect()
        try await other.deleteQueue(queue)
        await other.close()

        // The broker sends basic.cancel only to clients that announce consumer_cancel_notify, and
        // without it the consumer waits for deliveries that never come.
        let error = await #expect(throws: AMQPError.self) {
            for _ in 1...3 { _ = try await consumer.nextDeliveries(limit: 10, timeout: .seconds(1)) }
        }
        #expect(error?.code == .consumerCancelled)
        await consumer.close()
    }

    @Test("channel error leaves the connection usable")
    func channelErrorKeepsConnection() async throws {
        let connection = try await RabbitMQTestServer.connect()
        let missing = RabbitMQTestServer.uniqueName("missing")
        let error = await #expect(throws: AMQPError.self) {
            try await connection.declareQueue(missing, passive: true)
        }
        #expect(error?.code == .channelClosed)
        #expect(error?.replyCode == 404)
        #expect(error?.isChannelError == true)
        #expect(await connection.isOpen)
        let queue = RabbitMQTestServer.uniqueName("after-channel-error")
        let status = try await connection.declareQueue(queue)
        #expect(status.messageCount == 0)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("conflicting declaration is a 406 channel error")
    func conflictingDeclaration() async throws {
        let connection = try await RabbitMQTestServer.connect()
        let exchange = RabbitMQTestServer.uniqueName("exchange")
        try await connection.declareExchange(exchange, type: "topic")
        let error = await #expect(throws: AMQPError.self) {
            try await connection.declareExchange(exchange, type: "direct")
        }
        #expect(error?.replyCode == 406)
        try await connection.deleteExchange(exchange)
        await connection.close()
    }

    @Test("wrong password fails to authenticate")
    func wrongPassword() async throws {
        var endpoint = try RabbitMQTestServer.endpoint()
        endpoint.password = "not-the-password"
        let connection = AMQPConnection(endpoint: endpoint)
        let error = await #expect(throws: AMQPError.self) { try await connection.open() }
        #expect(error?.code == .authenticationFailed)
        #expect(error.map { !"\($0)".contains("not-the-password") } ?? true)
        #expect(await !connection.isOpen)
    }

    @Test("closed port fails to connect")
    func closedPort() async throws {
        var endpoint = try RabbitMQTestServer.endpoint()
        endpoint.port = 1
        let connection = AMQPConnection(endpoint: endpoint)
        let error = await #expect(throws: AMQPError.self) { try await connection.open() }
        #expect(error?.code == .connectionFailed)
    }
}

@Suite("AMQP publisher confirms", .enabled(if: RabbitMQTestServer.isEnabled, RabbitMQTestServer.skipReason))
struct AMQPConfirmTests {
    @Test("confirmed publish reaches the queue")
    func confirmedPublish() async throws {
        let connection = try await RabbitMQTestServer.connect()
        let queue = RabbitMQTestServer.uniqueName("confirm")
        try await connection.declareQueue(queue)
        for index in 1...3 {
            try await connection.publishConfirmed(
                Data("message \(index)".utf8), routingKey: queue, timeout: .seconds(5))
        }
        #expect(try await connection.declareQueue(queue, passive: true).messageCount == 3)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("unroutable publish is not confirmed")
    func unroutablePublish() async throws {
        let connection = try await RabbitMQTestServer.connect()
        let missing = RabbitMQTestServer.uniqueName("confirm-missing")
        let error = await #expect(throws: AMQPError.self) {
            try await connection.publishConfirmed(Data("lost".utf8), routingKey: missing, timeout: .seconds(5))
        }
        #expect(error?.code == .notConfirmed)
        #expect(error?.isConnectionError == false)

        // The connection stays usable, and the next confirm is matched to its own publish.
        let queue = RabbitMQTestServer.uniqueName("confirm-after")
        try await connection.declareQueue(queue)
        try await connection.publishConfirmed(Data("kept".utf8), routingKey: queue, timeout: .seconds(5))
        #expect(try await connection.declareQueue(queue, passive: true).messageCount == 1)
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
