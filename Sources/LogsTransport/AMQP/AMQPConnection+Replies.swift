internal import CRabbitMQ
import Foundation

// AMQP 0-9-1 method numbers (class id << 16 | method id), spelled out because rabbitmq-c defines
// them as macros with casts.
let channelCloseMethod: amqp_method_number_t = 0x0014_0028
let channelCloseOkMethod: amqp_method_number_t = 0x0014_0029
let connectionCloseMethod: amqp_method_number_t = 0x000A_0032
let connectionCloseOkMethod: amqp_method_number_t = 0x000A_0033
let basicCancelMethod: amqp_method_number_t = 0x003C_001E

extension AMQPConnection {
    /// Throws the error that an RPC reply describes, and returns for a normal reply.
    ///
    /// A channel close from the broker is acknowledged and leaves the connection open with no
    /// channel. A connection close or a library error closes the connection.
    func check(_ reply: amqp_rpc_reply_t, operation: String) throws {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        guard let state else { throw AMQPError(.notConnected, "the connection is closed", operation: operation) }
        let error = describe(reply, operation: operation, on: state)
        dropAfter(error)
        throw error
    }

    /// Throws for a status code that a non-RPC call such as `basic.ack` returned.
    func check(status: Int32, operation: String) throws {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        let error = Self.libraryError(status, operation: operation)
        dropAfter(error)
        throw error
    }

    /// Forgets the channel after a channel error, and the connection after any other error.
    func dropAfter(_ error: AMQPError) {
        if error.isChannelError {
            channel = 0
        } else if error.isConnectionError {
            abort()
        }
    }

    /// Turns an RPC reply into an error, sending the close-ok that a close from the broker expects.
    func describe(_ reply: amqp_rpc_reply_t, operation: String, on state: amqp_connection_state_t) -> AMQPError {
        switch reply.reply_type {
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return Self.libraryError(reply.library_error, operation: operation)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            return serverError(method: reply.reply, operation: operation, on: state)
        default:
            return AMQPError(.protocolError, "rabbitmq-c returned no reply", operation: operation)
        }
    }

    /// Turns a close method from the broker into an error and acknowledges it.
    func serverError(method: amqp_method_t, operation: String, on state: amqp_connection_state_t) -> AMQPError {
        switch method.id {
        case channelCloseMethod:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            var ok = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, channel, channelCloseOkMethod, &ok)
            return AMQPError(
                .channelClosed, Self.text(close.reply_text), operation: operation, replyCode: Int(close.reply_code))
        case connectionCloseMethod:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var ok = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, connectionCloseOkMethod, &ok)
            return AMQPError(
                .connectionClosed, Self.text(close.reply_text), operation: operation,
                replyCode: Int(close.reply_code))
        default:
            let name = String(cString: amqp_method_name(method.id))
            return AMQPError(.protocolError, "unexpected method \(name) from the broker", operation: operation)
        }
    }

    static func libraryError(_ status: Int32, operation: String) -> AMQPError {
        let message = String(cString: amqp_error_string2(status))
        switch status {
        case AMQP_STATUS_TIMEOUT.rawValue:
            return AMQPError(.timedOut, message, operation: operation)
        case AMQP_STATUS_CONNECTION_CLOSED.rawValue, AMQP_STATUS_SOCKET_ERROR.rawValue,
            AMQP_STATUS_SOCKET_CLOSED.rawValue, AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue,
            AMQP_STATUS_TCP_ERROR.rawValue, AMQP_STATUS_SSL_ERROR.rawValue:
            return AMQPError(.io, message, operation: operation)
        default:
            return AMQPError(.protocolError, message, operation: operation)
        }
    }

    static func text(_ bytes: amqp_bytes_t) -> String {
        guard let pointer = bytes.bytes, bytes.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes.len), as: UTF8.self)
    }
}
