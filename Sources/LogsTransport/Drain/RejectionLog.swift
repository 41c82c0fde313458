import LogsCore
import Synchronization

/// Logs rejected messages at most once per `interval`, shared by all consumers of a drain.
///
/// The first rejection after a quiet interval is logged with its reason, delivery tag and size,
/// and with how many rejections since the previous line were not logged, by reason. Message
/// content is never logged. `flush()` logs the rejections still not logged, for a drain that stops.
final class RejectionLog: Sendable {
    private struct State {
        var lastLine: ContinuousClock.Instant?
        /// Rejections not logged since the last line, by reason.
        var suppressed: [String: Int] = [:]
    }

    private let interval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(interval: Duration, logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    func record(
        reason: String, deliveryTag: UInt64, bytes: Int, consumer: Int, deadQueue: String,
        now: ContinuousClock.Instant = .now
    ) {
        let suppressed: [String: Int]? = state.withLock { state in
            if let lastLine = state.lastLine, now - lastLine < interval {
                state.suppressed[reason, default: 0] += 1
                return nil
            }
            let suppressed = state.suppressed
            state.suppressed = [:]
            state.lastLine = now
            return suppressed
        }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = [
            "consumer": "\(consumer)", "reason": "\(reason)", "delivery_tag": "\(deliveryTag)", "bytes": "\(bytes)",
            "queue": "\(deadQueue)",
        ]
        Self.add(suppressed, to: &metadata)
        logger.warning("log part message rejected, moved to the dead queue", metadata: metadata)
    }

    /// Logs the count of rejections not logged yet, if there are any.
    func flush() {
        let suppressed = state.withLock { state in
            defer { state.suppressed = [:] }
            return state.suppressed
        }
        guard !suppressed.isEmpty else { return }
        var metadata: Logger.Metadata = [:]
        Self.add(suppressed, to: &metadata)
        logger.warning("more log part messages were rejected, moved to the dead queue", metadata: metadata)
    }

    /// Adds `suppressed` (the total) and `suppressed_reasons` (`reason=count`, sorted) when any.
    private static func add(_ suppressed: [String: Int], to metadata: inout Logger.Metadata) {
        guard !suppressed.isEmpty else { return }
        metadata["suppressed"] = "\(suppressed.values.reduce(0, +))"
        metadata["suppressed_reasons"] =
            "\(suppressed.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))"
    }
}
