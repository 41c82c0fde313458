import Foundation
import Synchronization

/// The state of a send after a request was accepted.
public struct SendProgress: Sendable {
    public var deliveredParts: Int
    public var totalParts: Int
    public var deliveredBytes: Int
    public var totalBytes: Int
    /// Requests sent again after a retryable failure.
    public var retries: Int
}

/// The totals of a finished send.
public struct SendSummary: Sendable, CustomStringConvertible {
    public var parts: Int
    public var bytes: Int
    public var elapsed: Duration
    /// Requests sent again after a retryable failure.
    public var retries: Int

    public var seconds: Double {
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    public var partsPerSecond: Double {
        seconds > 0 ? Double(parts) / seconds : 0
    }

    /// One line such as `sent 120 parts, 198000 bytes in 1.25 s (96.0 parts/s), 0 retries`.
    public var description: String {
        "sent \(parts) parts, \(bytes) bytes in \(String(format: "%.2f", seconds)) s "
            + "(\(String(format: "%.1f", partsPerSecond)) parts/s), \(retries) retries"
    }
}

/// The counters of one send, updated from the concurrent request tasks.
final class SendTally: Sendable {
    private struct Counts {
        var parts = 0
        var bytes = 0
        var retries = 0
    }

    private let counts = Mutex(Counts())
    let totalParts: Int
    let totalBytes: Int

    init(totalParts: Int, totalBytes: Int) {
        self.totalParts = totalParts
        self.totalBytes = totalBytes
    }

    /// Counts an accepted request and returns the progress after it.
    func recordDelivery(_ parts: [OutgoingLogPart]) -> SendProgress {
        let counts = counts.withLock { counts in
            counts.parts += parts.count
            counts.bytes += parts.reduce(0) { $0 + $1.content.count }
            return counts
        }
        return SendProgress(
            deliveredParts: counts.parts, totalParts: totalParts, deliveredBytes: counts.bytes, totalBytes: totalBytes,
            retries: counts.retries)
    }

    func recordRetry() {
        counts.withLock { $0.retries += 1 }
    }

    func summary(elapsed: Duration) -> SendSummary {
        let counts = counts.withLock { $0 }
        return SendSummary(parts: counts.parts, bytes: counts.bytes, elapsed: elapsed, retries: counts.retries)
    }
}
