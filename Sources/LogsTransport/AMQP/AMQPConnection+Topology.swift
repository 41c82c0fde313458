internal import CRabbitMQ
import Foundation

extension AMQPConnection {
    /// Declares an exchange, or checks that it exists when `passive` is true.
    ///
    /// - Throws: `AMQPError` with code `.channelClosed` and reply code 406 when the exchange exists
    ///   with another type or durability, or 404 for a passive declaration of a missing exchange.
    public func declareExchange(_ name: String, type: String, durable: Bool = true, passive: Bool = false) throws {
        let (state, channel) = try openChannelState()
        name.withCString { namePointer in
            type.withCString { typePointer in
                _ = amqp_exchange_declare(
                    state, channel, amqp_cstring_bytes(namePointer), amqp_cstring_bytes(typePointer),
                    passive ? 1 : 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
            }
        }
        try check(amqp_get_rpc_reply(state), operation: "exchange.declare")
    }

    /// Declares a queue that is not exclusive and not auto-deleted, or checks that it exists when
    /// `passive` is true, and returns its counts.
    ///
    /// - Throws: `AMQPError` with code `.channelClosed` (406 for a conflicting declaration, 404 for a
    ///   passive declaration of a missing queue).
    @discardableResult
    public func declareQueue(_ name: String, durable: Bool = true, passive: Bool = false) throws -> AMQPQueueStatus {
        let (state, channel) = try openChannelState()
        let result = name.withCString { namePointer in
            amqp_queue_declare(
                state, channel, amqp_cstring_bytes(namePointer), passive ? 1 : 0, durable ? 1 : 0, 0, 0,
                amqp_empty_table)
        }
        try check(amqp_get_rpc_reply(state), operation: "queue.declare")
        guard let ok = result?.pointee else {
            throw AMQPError(.protocolError, "queue.declare returned no result", operation: "queue.declare")
        }
        return AMQPQueueStatus(
            name: Self.text(ok.queue), messageCount: Int(ok.message_count), consumerCount: Int(ok.consumer_count))
    }

    /// Binds a queue to an exchange with a routing key.
    public func bindQueue(_ queue: String, to exchange: String, routingKey: String) throws {
        let (state, channel) = try openChannelState()
        queue.withCString { queuePointer in
            exchange.withCString { exchangePointer in
                routingKey.withCString { keyPointer in
                    _ = amqp_queue_bind(
                        state, channel, amqp_cstring_bytes(queuePointer), amqp_cstring_bytes(exchangePointer),
                        amqp_cstring_bytes(keyPointer), amqp_empty_table)
                }
            }
        }
        try check(amqp_get_rpc_reply(state), operation: "queue.bind")
    }

    /// Deletes a queue and the messages in it, and returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String) throws -> Int {
        let (state, channel) = try openChannelState()
        let result = name.withCString { amqp_queue_delete(state, channel, amqp_cstring_bytes($0), 0, 0) }
        try check(amqp_get_rpc_reply(state), operation: "queue.delete")
        return Int(result?.pointee.message_count ?? 0)
    }

    /// Deletes an exchange.
    public func deleteExchange(_ name: String) throws {
        let (state, channel) = try openChannelState()
        _ = name.withCString { amqp_exchange_delete(state, channel, amqp_cstring_bytes($0), 0) }
        try check(amqp_get_rpc_reply(state), operation: "exchange.delete")
    }
}
