internal import CRabbitMQ
import Foundation

let basicReturnMethod: amqp_method_number_t = 0x003C_0032
let basicAckMethod: amqp_method_number_t = 0x003C_0050
let basicNackMethod: amqp_method_number_t = 0x003C_0078

extension AMQPConnection {
    /// Publishes a persistent, mandatory message on a channel in confirm mode and returns once the
    /// broker confirmed it, which for a durable queue means the broker stored it.
    ///
    /// The channel is put into confirm mode on first use and again after a channel error. Use this
    /// on a connection that does not consume, because deliveries that arrive while it waits for the
    /// confirm would be skipped.
    ///
    /// - Throws: `AMQPError` with code `.notConfirmed` when the broker rejected the message
    ///   (`basic.nack`, for example from a full queue with `reject-publish`), or returned it
    ///   because no queue is bound to `routingKey` on `exchange`. The code is `.timedOut` when no
    ///   confirm arrived within `timeout`. Channel and connection errors are thrown as by any call.
    public func publishConfirmed(
        _ body: Data, exchange: String = "", routingKey: String, contentType: String? = nil,
        timeout: Duration
    ) throws {
        try selectConfirms()
        try publish(body, exchange: exchange, routingKey: routingKey, contentType: contentType, mandatory: true)
        publishedCount += 1
        try awaitConfirm(of: publishedCount, timeout: timeout)
    }

    /// Sends `confirm.select` unless the open channel is already in confirm mode.
    private func selectConfirms() throws {
        let (state, channel) = try openChannelState()
        guard confirmChannel != channel else { return }
        _ = amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), operation: "confirm.select")
        confirmChannel = channel
        // The broker numbers confirms from 1 on each channel that enters confirm mode.
        publishedCount = 0
    }

    /// Reads frames until the broker acknowledges or rejects publish number `sequence`.
    private func awaitConfirm(of sequence: UInt64, timeout: Duration) throws {
        let (state, _) = try openChannelState()
        let deadline = ContinuousClock.now + timeout
        var returned: String?
        while true {
            var wait = Self.timeval(max(.zero, deadline - .now))
            var frame = amqp_frame_t()
            let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
            if status == AMQP_STATUS_TIMEOUT.rawValue {
                throw AMQPError(
                    .timedOut, "no publisher confirm within \(timeout.timeInterval) s", operation: "basic.publish")
            }
            try check(status: status, operation: "basic.publish")
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            let method = frame.payload.method
            switch method.id {
            case basicReturnMethod:
                let message = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                returned = "\(message.reply_code) \(Self.text(message.reply_text))"
                try skipReturnedContent(on: state, channel: frame.channel)
            case basicAckMethod, basicNackMethod:
                let isAck = method.id == basicAckMethod
                let tag =
                    isAck
                    ? method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee.delivery_tag
                    : method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee.delivery_tag
                // Confirms of earlier publishes, or multiple confirms below the sequence, are skipped.
                guard tag >= sequence else { continue }
                if let returned {
                    throw AMQPError(
                        .notConfirmed, "the broker returned the message as unroutable (\(returned))",
                        operation: "basic.publish")
                }
                guard isAck else {
                    throw AMQPError(.notConfirmed, "the broker rejected the message", operation: "basic.publish")
                }
                return
            case channelCloseMethod, connectionCloseMethod:
                let error = serverError(method: method, operation: "basic.publish", on: state)
                dropAfter(error)
                throw error
            default:
                continue
            }
        }
    }

    /// Reads the header and body frames that follow a `basic.return`, so that later reads start at
    /// the next method.
    private func skipReturnedContent(on state: amqp_connection_state_t, channel: amqp_channel_t) throws {
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        amqp_destroy_message(&message)
        try check(reply, operation: "basic.publish")
    }
}
