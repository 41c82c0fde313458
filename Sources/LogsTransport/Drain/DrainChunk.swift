import LogsCore

/// The deliveries of one read, decoded on the connection's thread with each part already written
/// as JSON, so that the parts cross to the consumer as bytes.
struct DrainChunk: Sendable {
    struct Part: Sendable {
        /// The range of the part's JSON in `parts.bytes`.
        var range: Range<Int>
        var deliveryTag: UInt64
        var jobID: JobID
    }

    /// A message that can never become a part, copied for the dead queue.
    struct Rejected: Sendable {
        /// The number of parts delivered before it, which keeps the delivery order.
        var position: Int
        var delivery: AMQPDelivery
        var rejection: DrainRejection
    }

    /// The parts' JSON, in delivery order. The 4 KiB reserved hold about 25 parts of 160 bytes,
    /// and only set how often the list grows.
    private(set) var parts = PartListJSON(reservingCapacity: 4_096)
    private(set) var partTags: [Part] = []
    private(set) var rejected: [Rejected] = []
    /// The jobs of the parts, collected only when `collectsJobIDs` is set.
    private(set) var jobIDs: Set<JobID> = []
    /// Whether `add` fills `jobIDs`, which only a forwarding filter reads.
    let collectsJobIDs: Bool

    init(collectsJobIDs: Bool) {
        self.collectsJobIDs = collectsJobIDs
    }

    var deliveryCount: Int { partTags.count + rejected.count }

    /// Decodes the delivery while its body is in rabbitmq-c's buffer, and writes its part.
    mutating func add(_ delivery: AMQPDeliveryView) {
        switch DrainMessageDecoder.decode(delivery.body) {
        case .success(let part):
            let range = parts.append(part)
            partTags.append(Part(range: range, deliveryTag: delivery.deliveryTag, jobID: part.jobID))
            if collectsJobIDs { jobIDs.insert(part.jobID) }
        case .failure(let rejection):
            rejected.append(Rejected(position: partTags.count, delivery: delivery.copy(), rejection: rejection))
        }
    }
}
