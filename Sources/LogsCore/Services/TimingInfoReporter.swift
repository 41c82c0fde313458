import Foundation

/// Reads command timings from an archived log's `travis_time` markers: the `timing_info` step.
///
/// Workers wrap each command in `travis_time:start:<id>` and
/// `travis_time:end:<id>:start=<ns>,finish=<ns>,duration=<ns>` markers. Each matched pair's
/// duration is recorded in a histogram; the original sent them to Honeycomb instead.
public struct TimingInfoReporter: Sendable {
    public struct Timing: Sendable, Hashable {
        public var timerID: String
        public var duration: Duration
    }

    private let store: any PartStore
    private let metrics: MetricsRegistry
    private let logger: Logger

    public init(store: any PartStore, metrics: MetricsRegistry, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Records the timings of one job's log.
    ///
    /// - Returns: the timings found; empty when the log has no content in the database.
    @discardableResult
    public func report(jobID: JobID) async throws -> [Timing] {
        guard let content = try await store.log(jobID: jobID)?.content else { return [] }
        let timings = Self.timings(in: content)
        let histogram = metrics.histogram(
            "travis_logs_command_duration_seconds", buckets: [1, 5, 15, 60, 300, 900, 3600],
            help: "Durations of commands in archived job logs.")
        for timing in timings {
            histogram.observe(timing.duration)
        }
        logger.debug("read command timings", metadata: ["job_id": "\(jobID)", "count": "\(timings.count)"])
        return timings
    }

    /// Returns the timings in a log, matching each end marker with the innermost open start marker.
    public static func timings(in content: String) -> [Timing] {
        var open: [Substring] = []
        var result: [Timing] = []
        for marker in content.split(separator: "travis_time:", omittingEmptySubsequences: false).dropFirst() {
            if marker.hasPrefix("start:") {
                open.append(marker.dropFirst(6).prefix(while: \.isHexDigit))
            } else if marker.hasPrefix("end:") {
                let fields = marker.dropFirst(4)
                let timerID = fields.prefix(while: \.isHexDigit)
                guard let last = open.last, last == timerID else { continue }
                open.removeLast()
                guard let nanoseconds = durationField(in: fields.dropFirst(timerID.count)) else { continue }
                result.append(Timing(timerID: String(timerID), duration: .nanoseconds(nanoseconds)))
            }
        }
        return result
    }

    private static func durationField(in text: Substring) -> Int64? {
        guard let range = text.prefix(200).range(of: "duration=") else { return nil }
        return Int64(text[range.upperBound...].prefix(while: \.isNumber))
    }
}
