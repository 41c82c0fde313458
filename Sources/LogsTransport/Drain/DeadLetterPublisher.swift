import Foundation
import LogsCore

/// Copies rejected messages into the dead queue over a connection of its own, with publisher
/// confirms, so that the drain acknowledges a rejected message only after the broker stored its copy.
///
/// The consumer's own channel cannot wait for a confirm, because deliveries keep arriving on it.
/// The connection opens on first use and again after any failure.
final class DeadLetterPublisher: Sendable {
    private let endpoint: AMQPEndpoint
    private let name: String
    private let confirmTimeout: Duration
    private let connection = OptionalConnection()

    init(endpoint: AMQPEndpoint, name: String, confirmTimeout: Duration) {
        self.endpoint = endpoint
        self.name = name
        self.confirmTimeout = confirmTimeout
    }

    /// Publishes `delivery`'s body and content type unchanged to `queue` and waits for the confirm.
    ///
    /// - Throws: `AMQPError`, with code `.notConfirmed` when the broker rejected the copy or no
    ///   queue named `queue` exists. After any error the next call opens a new connection.
    func publish(_ delivery: AMQPDelivery, to queue: String) async throws {
        let open = try await connection.opened(endpoint: endpoint, name: name)
        do {
            try await open.publishConfirmed(
                delivery.body, routingKey: queue, contentType: delivery.contentType, timeout: confirmTimeout)
        } catch {
            await connection.discard()
            throw error
        }
    }

    func close() async {
        await connection.discard()
    }
}

/// The publisher's connection, opened when first needed.
private actor OptionalConnection {
    private var connection: AMQPConnection?

    func opened(endpoint: AMQPEndpoint, name: String) async throws -> AMQPConnection {
        if let connection { return connection }
        let connection = AMQPConnection(endpoint: endpoint, name: name)
        try await connection.open()
        self.connection = connection
        return connection
    }

    func discard() async {
        await connection?.close()
        connection = nil
    }
}
