import Foundation

/// Runs each kind of job on its service.
public struct JobDispatcher: Sendable {
    /// The result of a job that did not fail.
    public enum Outcome: Sendable, Hashable {
        case done
        /// The job could not run now and was queued again to run after the delay.
        case rescheduled(after: Duration)
    }

    public var writer: LogPartsWriter
    public var forwarder: LiveForwarder
    public var aggregator: Aggregator
    public var archiver: Archiver
    public var purger: Purger
    public var timingInfo: TimingInfoReporter
    public var partitionMaintenance: PartitionMaintenance
    public var queue: any JobQueue
    public var clock: any LogsClock
    /// The wait before an aggregation that found another one running is tried again.
    public var busyRetryDelay: Duration
    public var logger: Logger
    public var metrics: MetricsRegistry

    public init(
        writer: LogPartsWriter, forwarder: LiveForwarder, aggregator: Aggregator, archiver: Archiver, purger: Purger,
        timingInfo: TimingInfoReporter, partitionMaintenance: PartitionMaintenance, queue: any JobQueue,
        clock: any LogsClock, busyRetryDelay: Duration, logger: Logger, metrics: MetricsRegistry
    ) {
        self.writer = writer
        self.forwarder = forwarder
        self.aggregator = aggregator
        self.archiver = archiver
        self.purger = purger
        self.timingInfo = timingInfo
        self.partitionMaintenance = partitionMaintenance
        self.queue = queue
        self.clock = clock
        self.busyRetryDelay = busyRetryDelay
        self.logger = logger
        self.metrics = metrics
    }

    /// Performs one job.
    ///
    /// - Throws: `LogsError` with code `.unknownJobClass` or `.invalidJob` for a job no handler can
    ///   run, and the service's errors.
    public func perform(_ job: Job) async throws -> Outcome {
        switch job.className {
        case JobPayload.ClassName.logParts:
            try await writer.write(parts(of: job, countsDrops: true))
        case JobPayload.ClassName.pusherForwarding:
            await forwarder.forward(try parts(of: job, countsDrops: false))
        default:
            return try await perform(try JobPayload(job: job))
        }
        return .done
    }

    private func perform(_ payload: JobPayload) async throws -> Outcome {
        switch payload {
        case .logParts(let parts):
            try await writer.write(parts)
        case .pusherForwarding(let parts):
            await forwarder.forward(parts)
        case .aggregate(let logID):
            let delay: Duration
            switch try await aggregator.aggregate(logID: logID) {
            case .busy: delay = busyRetryDelay
            case .waitingForParts(_, let retryAfter): delay = retryAfter
            case .aggregated, .logNotFound: return .done
            }
            let now = clock.now()
            try await queue.schedule(
                JobPayload.aggregate(logID).makeJob(at: now), at: now.addingTimeInterval(delay.timeInterval))
            return .rescheduled(after: delay)
        case .archive(let logID):
            _ = try await archiver.archive(logID: logID)
        case .purge(let logID):
            _ = try await purger.purge(logID: logID)
        case .timingInfo(let jobID):
            try await timingInfo.report(jobID: jobID)
        case .partmanMaintenance:
            try await partitionMaintenance.run()
        }
        return .done
    }

    /// Reads the parts of a `log_parts` or `logs.pusher_forwarding` job, dropping and logging the
    /// ones that can never be stored.
    ///
    /// Drops are counted only for `log_parts`, so a bad part that a producer put in both queues is
    /// counted once.
    private func parts(of job: Job, countsDrops: Bool) throws -> [RawLogPart] {
        guard let results = RawLogPart.parts(of: job) else {
            throw LogsError(.invalidJob, "\(job.className) job \(job.jid) has no argument")
        }
        var parts: [RawLogPart] = []
        parts.reserveCapacity(results.count)
        for result in results {
            switch result {
            case .success(let part):
                parts.append(part)
            case .failure(let error):
                let reason = error.reason ?? "invalid"
                if countsDrops {
                    metrics.counter(
                        "travis_logs_parts_dropped_total", labels: ["reason": reason],
                        help: "Log parts that could never be stored."
                    ).increment()
                }
                logger.warning("dropped log part", metadata: ["jid": "\(job.jid)", "reason": "\(reason)"])
            }
        }
        return parts
    }
}
