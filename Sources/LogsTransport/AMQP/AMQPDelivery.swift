import Foundation

/// A message delivered to a consumer, copied out of rabbitmq-c's buffers.
public struct AMQPDelivery: Sendable, Hashable {
    /// The channel-scoped tag that `ack` and `nack` name; it grows with each delivery on a channel.
    public var deliveryTag: UInt64
    /// Whether the broker delivered this message before without an acknowledgement.
    public var isRedelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var body: Data
    /// The `content-type` property, when the publisher set one.
    public var contentType: String?

    public init(
        deliveryTag: UInt64, isRedelivered: Bool = false, exchange: String = "", routingKey: String = "",
        body: Data, contentType: String? = nil
    ) {
        self.deliveryTag = deliveryTag
        self.isRedelivered = isRedelivered
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.contentType = contentType
    }
}

/// The counts that `queue.declare` returns.
public struct AMQPQueueStatus: Sendable, Hashable {
    public var name: String
    /// Messages ready for delivery, not counting those delivered and unacknowledged.
    public var messageCount: Int
    public var consumerCount: Int
}
