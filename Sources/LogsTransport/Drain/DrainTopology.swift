import LogsCore

/// Declares what the drain consumes from and the dead queue it writes to.
///
/// Unsharded: the durable topic exchange `reporting`, the durable queue `reporting.jobs.logs` bound
/// to it, as workers publish. Sharded: the `x-modulus-hash` exchange of the sharding plugin, whose
/// shard queues the plugin declares once the `logs-sharding` policy applies. Declaring again is
/// harmless, so every new connection declares, which also restores a broker that lost its state.
struct DrainTopology {
    var settings: DrainSettings
    var logger: Logger

    func declare(on connection: AMQPConnection) async throws {
        if settings.isSharded {
            try await declareExchange(settings.queueName, type: "x-modulus-hash", on: connection)
        } else {
            try await declareExchange(settings.exchangeName, type: settings.exchangeType, on: connection)
            try await connection.declareQueue(settings.queueName)
            try await connection.bindQueue(
                settings.queueName, to: settings.exchangeName, routingKey: settings.routingKey)
        }
        try await connection.declareQueue(settings.deadQueueName)
    }

    /// Declares an exchange, accepting one that already exists with other settings, because
    /// workers or an operator may have declared it first.
    private func declareExchange(_ name: String, type: String, on connection: AMQPConnection) async throws {
        do {
            try await connection.declareExchange(name, type: type)
        } catch let error as AMQPError where error.isChannelError && error.replyCode == 406 {
            logger.warning(
                "exchange exists with other settings, using it as it is",
                metadata: ["exchange": "\(name)", "expected_type": "\(type)", "error": "\(error)"])
        }
    }
}
