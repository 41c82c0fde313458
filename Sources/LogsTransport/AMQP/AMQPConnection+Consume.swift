internal import CRabbitMQ
import Foundation

extension AMQPConnection {
    /// Sets the channel's prefetch count and starts a consumer with manual acknowledgement.
    ///
    /// - Returns: the consumer tag the broker assigned.
    /// - Throws: `AMQPError` with code `.channelClosed` and reply code 404 when the queue is missing.
    @discardableResult
    public func consume(queue: String, prefetch: Int) throws -> String {
        let (state, channel) = try openChannelState()
        _ = amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0)
        try check(amqp_get_rpc_reply(state), operation: "basic.qos")
        let result = queue.withCString { queuePointer in
            amqp_basic_consume(
                state, channel, amqp_cstring_bytes(queuePointer), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        }
        try check(amqp_get_rpc_reply(state), operation: "basic.consume")
        return result.map { Self.text($0.pointee.consumer_tag) } ?? ""
    }

    /// Waits up to `timeout` for a delivery, then takes whatever else has already arrived, up to
    /// `limit` deliveries, in one hop onto the connection's thread.
    ///
    /// An empty result means nothing arrived in time. Heartbeats are sent and checked while it
    /// waits.
    ///
    /// - Throws: `AMQPError` with code `.consumerCancelled` when the broker cancelled the consumer,
    ///   `.channelClosed`, `.connectionClosed` or `.io`. Deliveries read before the error are
    ///   dropped unacknowledged, so the broker delivers them again.
    public func nextDeliveries(limit: Int, timeout: Duration) throws -> [AMQPDelivery] {
        try nextDeliveries(limit: limit, timeout: timeout, into: []) { $0.append($1.copy()) }
    }

    /// Reads deliveries as `nextDeliveries(limit:timeout:)` does, but passes each to `add` while
    /// its body is still in rabbitmq-c's buffer, and returns `accumulator` as `add` left it.
    ///
    /// This spares a copy of each body and of its exchange and routing key when the caller needs
    /// only what it reads from the body. `add` runs on the connection's thread.
    func nextDeliveries<Accumulator: Sendable>(
        limit: Int, timeout: Duration, into accumulator: Accumulator,
        _ add: @Sendable (inout Accumulator, AMQPDeliveryView) -> Void
    ) throws -> Accumulator {
        let (state, _) = try openChannelState()
        var accumulator = accumulator
        var count = 0
        var wait = Self.timeval(timeout)
        while count < limit {
            amqp_maybe_release_buffers(state)
            var envelope = amqp_envelope_t()
            let reply = amqp_consume_message(state, &envelope, &wait, 0)
            if reply.reply_type == AMQP_RESPONSE_NORMAL {
                withUnsafePointer(to: &envelope) { add(&accumulator, AMQPDeliveryView(envelope: $0)) }
                amqp_destroy_envelope(&envelope)
                count += 1
                // Only what is already buffered or on the socket is taken after the first delivery.
                wait = Self.timeval(.zero)
                continue
            }
            if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION {
                if reply.library_error == AMQP_STATUS_TIMEOUT.rawValue { break }
                if reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
                    try readOtherFrame(on: state)
                    continue
                }
            }
            try check(reply, operation: "basic.consume")
        }
        return accumulator
    }

    /// Acknowledges one delivery, or with `multiple` every unacknowledged delivery up to and
    /// including `deliveryTag` on this channel.
    public func acknowledge(deliveryTag: UInt64, multiple: Bool) throws {
        let (state, channel) = try openChannelState()
        try check(status: amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0), operation: "basic.ack")
    }

    /// Rejects one delivery, or with `multiple` every unacknowledged delivery up to `deliveryTag`;
    /// with `requeue` the broker delivers them again, otherwise it drops them.
    public func reject(deliveryTag: UInt64, multiple: Bool, requeue: Bool) throws {
        let (state, channel) = try openChannelState()
        let status = amqp_basic_nack(state, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
        try check(status: status, operation: "basic.nack")
    }

    /// Publishes a message, persistent by default.
    ///
    /// A return from this call means the message was written to the socket, not that the broker
    /// stored it; `publishConfirmed` waits for the broker. With `mandatory`, the broker returns a
    /// message that no queue takes instead of dropping it.
    public func publish(
        _ body: Data, exchange: String = "", routingKey: String, persistent: Bool = true, contentType: String? = nil,
        mandatory: Bool = false
    ) throws {
        let (state, channel) = try openChannelState()
        var properties = amqp_basic_properties_t()
        if persistent {
            properties._flags |= amqp_flags_t(AMQP_BASIC_DELIVERY_MODE_FLAG)
            properties.delivery_mode = 2
        }
        let status = (contentType ?? "").withCString { typePointer in
            if contentType != nil {
                properties._flags |= amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG)
                properties.content_type = amqp_cstring_bytes(typePointer)
            }
            return exchange.withCString { exchangePointer in
                routingKey.withCString { keyPointer in
                    body.withUnsafeBytes { buffer in
                        let bytes = amqp_bytes_t(
                            len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                        return amqp_basic_publish(
                            state, channel, amqp_cstring_bytes(exchangePointer), amqp_cstring_bytes(keyPointer),
                            mandatory ? 1 : 0, 0, &properties, bytes)
                    }
                }
            }
        }
        try check(status: status, operation: "basic.publish")
    }

    /// Reads the frame that interrupted `amqp_consume_message` and throws when it ends the channel,
    /// the connection or the consumer. Other methods, such as `basic.return`, are skipped.
    private func readOtherFrame(on state: amqp_connection_state_t) throws {
        var frame = amqp_frame_t()
        var wait = Self.timeval(endpoint.connectTimeout)
        try check(status: amqp_simple_wait_frame_noblock(state, &frame, &wait), operation: "basic.consume")
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        let method = frame.payload.method
        switch method.id {
        case channelCloseMethod, connectionCloseMethod:
            let error = serverError(method: method, operation: "basic.consume", on: state)
            dropAfter(error)
            throw error
        case basicCancelMethod:
            throw AMQPError(.consumerCancelled, "the broker cancelled the consumer", operation: "basic.consume")
        default:
            return
        }
    }
}

/// A delivery still in rabbitmq-c's buffers, valid only during the call it is passed to.
struct AMQPDeliveryView {
    fileprivate let envelope: UnsafePointer<amqp_envelope_t>

    var deliveryTag: UInt64 { envelope.pointee.delivery_tag }

    /// The message body, which must not be used after the call returns.
    var body: UnsafeRawBufferPointer {
        let body = envelope.pointee.message.body
        guard let pointer = body.bytes, body.len > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: body.len)
    }

    /// Returns the delivery copied out of rabbitmq-c's buffers.
    func copy() -> AMQPDelivery {
        let envelope = envelope.pointee
        let message = envelope.message
        let hasContentType = message.properties._flags & amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG) != 0
        return AMQPDelivery(
            deliveryTag: envelope.delivery_tag, isRedelivered: envelope.redelivered != 0,
            exchange: AMQPConnection.text(envelope.exchange), routingKey: AMQPConnection.text(envelope.routing_key),
            body: Data(body), contentType: hasContentType ? AMQPConnection.text(message.properties.content_type) : nil)
    }
}
