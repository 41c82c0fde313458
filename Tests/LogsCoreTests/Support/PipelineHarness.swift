import Foundation
import LogsCore
import TestSupport
import Testing

/// A pipeline on the in-memory implementations and a `ManualClock`, with the steps the pipeline
/// tests share: running queued jobs, moving time, and reading the store, archive and metrics.
struct PipelineHarness: Sendable {
    static let allQueues = JobPayload.Queue.all.map { WeightedQueue($0) }

    let clock: ManualClock
    let metrics: MetricsRegistry
    /// The Pusher stand-in, which records every event it is sent.
    let pusher: RecordingBroadcaster
    /// The pipeline's log events at warning level and above, kept in memory so test output stays quiet.
    let logEntries: RecordingLogHandler
    var pipeline: Pipeline

    /// - Parameter configure: changes to the default configuration, such as turning purging on.
    init(configure: (inout LogsConfiguration) -> Void = { _ in }) {
        var configuration = LogsConfiguration.defaults
        configure(&configuration)
        clock = ManualClock()
        metrics = MetricsRegistry()
        pusher = RecordingBroadcaster()
        var handler = RecordingLogHandler(label: "pipeline-tests")
        handler.logLevel = .warning
        logEntries = handler
        pipeline = Pipeline.inMemory(
            configuration: configuration, clock: clock, pusher: pusher, liveStream: InMemoryLiveStream(),
            logger: Logger(label: "pipeline-tests", factory: { _ in handler }), metrics: metrics)
    }

    var configuration: LogsConfiguration { pipeline.configuration }
    var store: InMemoryPartStore { pipeline.store as! InMemoryPartStore }
    var archive: InMemoryArchive { pipeline.archive as! InMemoryArchive }
    var queue: InMemoryJobQueue { pipeline.queue as! InMemoryJobQueue }
    var liveStream: InMemoryLiveStream { pipeline.liveStream as! InMemoryLiveStream }
    var presence: InMemoryChannelPresence { pipeline.presence as! InMemoryChannelPresence }
    var maintenance: InMemoryMaintenanceSwitch { pipeline.maintenance as! InMemoryMaintenanceSwitch }
    var ignoredIDs: InMemoryIgnoredIDs { pipeline.ignoredIDs as! InMemoryIgnoredIDs }

    /// Makes a runner with no retry jitter, so retry times are predictable.
    func makeRunner() -> JobRunner {
        pipeline.makeJobRunner(retryPolicy: SidekiqRetryPolicy(jitter: { _ in 0 }))
    }

    // MARK: - Running jobs

    /// Runs the due jobs of every queue until none is left.
    ///
    /// - Returns: how many jobs ran.
    @discardableResult
    func runAll() async throws -> Int {
        try await makeRunner().runUntilIdle(queues: Self.allQueues)
    }

    /// Runs the due jobs of the named queues until none is left.
    @discardableResult
    func run(_ queueNames: String...) async throws -> Int {
        try await makeRunner().runUntilIdle(queues: queueNames.map { WeightedQueue($0) })
    }

    func advance(by duration: Duration) {
        clock.advance(by: duration)
    }

    /// Moves the clock one second past `intervals.regular`, so aggregations scheduled now are due.
    func advancePastAggregationDelay() {
        clock.advance(by: configuration.logs.intervals.regular + .seconds(1))
    }

    /// Moves the clock one second past `intervals.purge`, so purges scheduled now are due.
    func advancePastPurgeDelay() {
        clock.advance(by: configuration.logs.intervals.purge + .seconds(1))
    }

    /// Stores the queued parts, then aggregates and archives every log with a final part: runs all
    /// queues, moves past the aggregation delay and runs them again.
    func runThroughArchiving() async throws {
        try await runAll()
        advancePastAggregationDelay()
        try await runAll()
    }

    /// Queues parts as the drain does and runs them through aggregation and archiving.
    func process(_ parts: [RawLogPart]) async throws {
        try await pipeline.enqueue(parts)
        try await runThroughArchiving()
    }

    /// Pushes a `log_parts` job whose argument is the given JSON, as another producer (such as a
    /// Ruby process) could write it.
    func pushLogPartsJob(_ parts: [JSONValue]) async throws {
        let job = Job(
            className: JobPayload.ClassName.logParts, queue: JobPayload.Queue.logParts, args: [.array(parts)],
            retry: 3, createdAt: clock.now())
        try await pipeline.queue.push(job)
    }

    /// Runs `body` while moving the clock forward by `step` whenever a task sleeps on it, so that
    /// retries with backoff and maintenance pauses finish without real waiting.
    @discardableResult
    func drivingClock<T: Sendable>(
        step: Duration = .seconds(1), _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let clock = self.clock
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    if clock.sleeperCount > 0 { clock.advance(by: step) }
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            while let result = try await group.next() {
                if let value = result {
                    group.cancelAll()
                    return value
                }
            }
            preconditionFailure("the clock-driving task never returns")
        }
    }

    /// Waits, in real time, until some task sleeps on the clock.
    ///
    /// - Returns: false when none did within `timeout`.
    func waitForSleeper(timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while clock.sleeperCount == 0 {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    // MARK: - Reading state

    func log(_ jobID: JobID) async -> Log? {
        await store.log(jobID: jobID)
    }

    func logID(_ jobID: JobID) async -> LogID? {
        await store.logID(forJobID: jobID)
    }

    /// Returns the `log_parts` rows of a job's log, ordered by id.
    func partRows(_ jobID: JobID) async -> [StoredLogPart] {
        guard let logID = await logID(jobID) else { return [] }
        return await store.allParts().filter { $0.logID == logID }
    }

    func archivedBytes(_ jobID: JobID) async -> [UInt8]? {
        await archive.content(jobID: jobID).map { Array($0) }
    }

    func archivedText(_ jobID: JobID) async -> String? {
        await archivedBytes(jobID).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Returns the jobs of one class waiting in the schedule.
    func scheduledJobs(className: String) async -> [(due: Date, job: Job)] {
        await queue.scheduledJobs().filter { $0.job.className == className }
    }

    /// Returns the jobs waiting in one queue.
    func queuedJobs(_ queueName: String) async -> [Job] {
        await queue.jobs(in: queueName)
    }

    func counter(_ name: String, _ labels: [String: String] = [:]) -> Int {
        metrics.counter(name, labels: labels).value
    }
}

/// Builders of log parts.
enum Parts {
    /// Makes a plain-text part.
    static func text(_ jobID: JobID, _ number: Int, _ log: String, isFinal: Bool = false) -> RawLogPart {
        RawLogPart(jobID: jobID, log: log, number: .number(number), isFinal: isFinal)
    }

    /// Makes a part that carries raw bytes as base64.
    static func bytes(_ jobID: JobID, _ number: Int, _ bytes: [UInt8], isFinal: Bool = false) -> RawLogPart {
        RawLogPart.base64(jobID: jobID, content: bytes, number: .number(number), isFinal: isFinal)
    }

    /// Makes the empty final part that workers end a job with.
    static func finalPart(_ jobID: JobID, _ number: Int) -> RawLogPart {
        text(jobID, number, "", isFinal: true)
    }

    /// Makes a part as a JSON object, for jobs written by hand.
    static func json(
        id: JSONValue, log: String = "text", number: JSONValue = 1, final: JSONValue = false
    ) -> JSONValue {
        ["id": id, "log": .string(log), "number": number, "final": final]
    }
}

/// Splits job output the way workers do.
enum WorkerSplit {
    /// The maximum size of a part that workers send, in bytes.
    static let maximumPartSize = 1653

    /// Cuts bytes into chunks of at most `size` bytes at byte offsets, regardless of UTF-8.
    static func chunks(of bytes: [UInt8], size: Int = maximumPartSize) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: size).map { start in
            Array(bytes[start..<min(start + size, bytes.count)])
        }
    }

    /// Cuts text into chunks of at most `size` UTF-8 bytes, each ending at a scalar boundary.
    static func textChunks(of text: String, size: Int = maximumPartSize) -> [String] {
        precondition(size >= 4, "a chunk must have room for a 4-byte scalar")
        let bytes = Array(text.utf8)
        var chunks: [String] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + size, bytes.count)
            // A continuation byte (10xxxxxx) is never the first byte of a scalar.
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 {
                end -= 1
            }
            chunks.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end
        }
        return chunks
    }

    /// Makes the parts a worker sends for `bytes`: base64 parts of at most `size` bytes numbered
    /// from 1, then one empty part with `final: true`.
    static func base64Parts(of bytes: [UInt8], jobID: JobID, size: Int = maximumPartSize) -> [RawLogPart] {
        let parts = chunks(of: bytes, size: size).enumerated().map { index, chunk in
            Parts.bytes(jobID, index + 1, chunk)
        }
        return parts + [Parts.finalPart(jobID, parts.count + 1)]
    }

    /// Makes plain-text parts for `text`, cut at scalar boundaries, then one empty final part.
    static func textParts(of text: String, jobID: JobID, size: Int = maximumPartSize) -> [RawLogPart] {
        let parts = textChunks(of: text, size: size).enumerated().map { index, chunk in
            Parts.text(jobID, index + 1, chunk)
        }
        return parts + [Parts.finalPart(jobID, parts.count + 1)]
    }
}

/// A barrier that keeps the first task to arrive waiting until a test opens it, lets later
/// tasks through, and counts every arrival.
actor Gate {
    private var isOpen = false
    private var waiter: CheckedContinuation<Void, Never>?
    private(set) var arrivals = 0

    /// Returns when the gate opens if this is the first arrival, else at once.
    func pass() async {
        arrivals += 1
        guard !isOpen, arrivals == 1 else { return }
        await withCheckedContinuation { continuation in
            waiter = continuation
        }
    }

    func open() {
        isOpen = true
        waiter?.resume()
        waiter = nil
    }

    /// Waits, in real time, until `count` tasks have arrived.
    ///
    /// - Returns: false when fewer arrived within `timeout`.
    func waitForArrivals(_ count: Int, timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while arrivals < count {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(1))
        }
        return true
    }
}

/// A `JobQueue` whose `push` passes a `Gate` first, so a test can hold a service in the middle of
/// its work (for example a sweeper holding its lock).
struct GatedJobQueue: ForwardingJobQueue {
    let base: any JobQueue
    let gate: Gate

    func push(_ jobs: [Job]) async throws {
        await gate.pass()
        try await base.push(jobs)
    }
}

/// Returns the offset of the first byte where two byte sequences differ, or nil when they are
/// equal, so a failing comparison of large logs names a place instead of printing both.
func firstDifference(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int? {
    for index in 0..<min(lhs.count, rhs.count) where lhs[index] != rhs[index] {
        return index
    }
    return lhs.count == rhs.count ? nil : min(lhs.count, rhs.count)
}
