internal import CRabbitMQ
import Foundation
import LogsCore

/// One connection to RabbitMQ with one channel, owning a rabbitmq-c connection on a dedicated
/// thread.
///
/// rabbitmq-c blocks while it waits for the broker, so every call runs on this actor's own
/// `ThreadExecutor` and never on Swift's cooperative pool. rabbitmq-c sends and checks heartbeats only while
/// a call waits on the socket, so a consumer keeps calling `nextDeliveries` with a timeout shorter
/// than the heartbeat interval. After a channel error (`AMQPError.isChannelError`) the next call
/// opens a new channel; after any other error the connection is closed and must be opened again.
public actor AMQPConnection {
    private let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public let endpoint: AMQPEndpoint
    var state: amqp_connection_state_t?
    /// The open channel's number, or 0 when none is open.
    var channel: amqp_channel_t = 0
    private var lastChannel: amqp_channel_t = 0
    /// The channel that is in confirm mode, or 0 when none is.
    var confirmChannel: amqp_channel_t = 0
    /// Messages published on `confirmChannel`, which is the sequence number of the last one.
    var publishedCount: UInt64 = 0

    /// Creates a connection that is not open yet; call `open()`.
    public init(endpoint: AMQPEndpoint, name: String = "amqp") {
        self.executor = ThreadExecutor(name: name)
        self.endpoint = endpoint
    }

    isolated deinit {
        if let state {
            amqp_destroy_connection(state)
        }
        executor.shutdown()
    }

    /// Whether the connection is open.
    public var isOpen: Bool { state != nil }

    /// Opens the socket, logs in to the vhost and opens a channel.
    ///
    /// - Throws: `AMQPError` with code `.connectionFailed`, `.authenticationFailed` or `.timedOut`.
    public func open() throws {
        close()
        guard let state = amqp_new_connection() else {
            throw AMQPError(.connectionFailed, "rabbitmq-c could not allocate a connection", operation: "connect")
        }
        do {
            try openSocket(on: state)
            var timeout = Self.timeval(endpoint.connectTimeout)
            _ = amqp_set_handshake_timeout(state, &timeout)
            _ = amqp_set_rpc_timeout(state, &timeout)
            try login(on: state)
        } catch {
            amqp_destroy_connection(state)
            throw error
        }
        self.state = state
        try openChannel()
    }

    /// Closes the channel and the connection politely, ignoring errors, because the broker may
    /// already be gone. Unacknowledged deliveries go back to their queues.
    public func close() {
        guard let state else { return }
        if channel != 0 {
            _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        }
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
        self.state = nil
        channel = 0
    }

    /// Drops the connection without the closing handshake, as a crash would.
    public func abort() {
        guard let state else { return }
        amqp_destroy_connection(state)
        self.state = nil
        channel = 0
    }

    // MARK: - Opening

    private func openSocket(on state: amqp_connection_state_t) throws {
        let socket: OpaquePointer?
        if endpoint.usesTLS {
            socket = try tlsSocket(on: state)
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else {
            throw AMQPError(.connectionFailed, "rabbitmq-c could not create a socket", operation: "connect")
        }
        var timeout = Self.timeval(endpoint.connectTimeout)
        let status = amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            let code: AMQPError.Code = status == AMQP_STATUS_TIMEOUT.rawValue ? .timedOut : .connectionFailed
            var message = "\(String(cString: amqp_error_string2(status))) (\(endpoint))"
            if let advice = tlsAdvice(for: status) { message += "; \(advice)" }
            throw AMQPError(code, message, operation: "connect")
        }
    }

    /// Returns what to check after a failed TLS handshake, naming the CA file in use.
    private func tlsAdvice(for status: Int32) -> String? {
        let caPath = endpoint.caCertificatePath ?? "/etc/ssl/certs/ca-certificates.crt"
        switch status {
        case AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue, AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue,
            AMQP_STATUS_SSL_ERROR.rawValue:
            return "the broker's certificate did not verify against the CA certificates in \(caPath); "
                + "set cacertfile=PATH in RABBITMQ_URL to the CA that signed it"
        case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue:
            return "the broker's certificate does not name the host \(endpoint.host); connect to a host name "
                + "that the certificate lists"
        default:
            return nil
        }
    }

    private func tlsSocket(on state: amqp_connection_state_t) throws -> OpaquePointer? {
        guard let socket = amqp_ssl_socket_new(state) else { return nil }
        amqp_ssl_socket_set_verify_peer(socket, 1)
        amqp_ssl_socket_set_verify_hostname(socket, 1)
        let caPath = endpoint.caCertificatePath ?? "/etc/ssl/certs/ca-certificates.crt"
        let status = amqp_ssl_socket_set_cacert(socket, caPath)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError(
                .connectionFailed,
                "cannot read the CA certificates in \(caPath): \(String(cString: amqp_error_string2(status)))",
                operation: "connect")
        }
        return socket
    }

    private func login(on state: amqp_connection_state_t) throws {
        let heartbeat = Int32(endpoint.heartbeat.components.seconds)
        let reply = travis_amqp_login_plain(
            state, endpoint.vhost, 0, Int32(AMQP_DEFAULT_FRAME_SIZE), heartbeat, endpoint.username,
            endpoint.password)
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        let error = describe(reply, operation: "connection.open", on: state)
        // RabbitMQ closes the socket on a wrong password (rabbitmq-c reports the closed socket), and
        // closes the connection with 530 NOT_ALLOWED for a vhost the user may not use.
        if error.replyCode == 403 || error.replyCode == 530 || error.code == .io
            || error.code == .connectionClosed
        {
            throw AMQPError(
                .authenticationFailed,
                "login as \(endpoint.username) to vhost \(endpoint.vhost) failed: \(error.message)",
                operation: "connection.open", replyCode: error.replyCode)
        }
        throw AMQPError(.connectionFailed, error.message, operation: "connection.open", replyCode: error.replyCode)
    }

    /// Opens a new channel, after a channel error or on first use.
    func openChannel() throws {
        let state = try openState()
        lastChannel = lastChannel >= 65_000 ? 1 : lastChannel + 1
        _ = amqp_channel_open(state, lastChannel)
        try check(amqp_get_rpc_reply(state), operation: "channel.open")
        channel = lastChannel
        confirmChannel = 0
    }

    /// Returns the open connection and a channel, opening a new channel after a channel error.
    func openChannelState() throws -> (amqp_connection_state_t, amqp_channel_t) {
        let state = try openState()
        if channel == 0 { try openChannel() }
        return (state, channel)
    }

    private func openState() throws -> amqp_connection_state_t {
        guard let state else {
            throw AMQPError(.notConnected, "the connection to \(endpoint) is not open")
        }
        return state
    }

    /// Returns a wait of at least `duration` as a `timeval`: zero stays zero, and any other
    /// duration is rounded up to whole milliseconds, plus one.
    ///
    /// rabbitmq-c turns a timeout into a deadline and polls for the whole milliseconds left,
    /// rounded down. So a wait of 1.9 ms polls for 1 ms and returns early, and a caller that waits
    /// again for the rest, less than a millisecond, would poll for 0 ms until the deadline passed.
    static func timeval(_ duration: Duration) -> timeval {
        guard duration > .zero else { return Glibc.timeval(tv_sec: 0, tv_usec: 0) }
        let (seconds, attoseconds) = duration.components
        let milliseconds = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000 + 1
        return Glibc.timeval(
            tv_sec: Int(seconds) + Int(milliseconds / 1_000), tv_usec: Int(milliseconds % 1_000) * 1_000)
    }
}
