import Foundation
import LogsCore
import Synchronization

/// One consumer of the drain: its own connection and channel, and its own batch.
///
/// It forwards parts as `logs.pusher_forwarding` jobs, each with the parts read within
/// `forwardingWait` of its first while messages keep coming, and pushes a job at once when no
/// message came for `forwardingQuietGap`. With a forwarding filter, only the parts of jobs with
/// an occupied Pusher channel or a stream client are forwarded. It also collects parts into a batch that becomes one `log_parts`
/// job when it is full, when no message arrived for `batchIdleTime`, or when `batchInterval`
/// passed since its first part. A batch that is stored takes the parts waiting to be forwarded along, in
/// one push. Messages are acknowledged, with one multiple acknowledgement up to the batch's
/// highest delivery tag, only after the queue stored that job. When the push fails, the batch is
/// rejected with requeue, so the broker delivers it again and nothing is acknowledged without
/// being stored. A lost connection, a failed channel or a consumer that acknowledges nothing for
/// `ackTimeout` while messages wait is replaced by a new connection, after a growing delay.
final class DrainConsumer: Sendable {
    private struct State {
        var isStopping = false
        /// When the consumer last acknowledged a message, or started.
        var lastProgress = ContinuousClock.now
        /// Deliveries received since then; requeued ones count again when they come back.
        var receivedSinceProgress = 0
        var lastHealthCheck = ContinuousClock.now
        /// Failed dead queue copies in a row, which set the wait before the next attempt.
        var deadLetterFailures = 0
    }

    let number: Int
    private let endpoint: AMQPEndpoint
    private let queue: any JobQueue
    /// `queue` when it stores jobs written as JSON unchanged, so the drain writes each part once.
    private let serializedQueue: (any SerializedJobQueue)?
    private let settings: DrainSettings
    private let clock: any LogsClock
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let rejectionLog: RejectionLog
    private let deadLetters: DeadLetterPublisher
    /// The jobs whose parts are forwarded; nil forwards every part.
    private let forwardingFilter: DrainForwardingFilter?
    private let state = Mutex(State())

    init(
        number: Int, endpoint: AMQPEndpoint, queue: any JobQueue, settings: DrainSettings, clock: any LogsClock,
        logger: Logger, metrics: MetricsRegistry, rejectionLog: RejectionLog,
        forwardingFilter: DrainForwardingFilter? = nil
    ) {
        self.number = number
        self.endpoint = endpoint
        self.queue = queue
        serializedQueue = queue as? any SerializedJobQueue
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        self.rejectionLog = rejectionLog
        self.forwardingFilter = forwardingFilter
        deadLetters = DeadLetterPublisher(
            endpoint: endpoint, name: "drain-dead-letters-\(number)", confirmTimeout: settings.deadLetterConfirmTimeout)
    }

    var isStopping: Bool { state.withLock { $0.isStopping } }

    /// Asks the consumer to store its batch, acknowledge it and close; `run()` then returns.
    func stop() {
        state.withLock { $0.isStopping = true }
    }

    /// Consumes until `stop()`, opening a new connection after each failure.
    func run() async {
        var failures = 0
        while !isStopping {
            let connection = AMQPConnection(endpoint: endpoint, name: "drain-consumer-\(number)")
            do {
                try await connection.open()
                try await DrainTopology(settings: settings, logger: logger).declare(on: connection)
                try await connection.consume(queue: settings.queueName, prefetch: settings.prefetch)
                logger.debug(
                    "drain consumer started", metadata: ["consumer": "\(number)", "queue": "\(settings.queueName)"])
                failures = 0
                markProgress()
                try await consume(on: connection)
                await connection.close()
                await deadLetters.close()
                return
            } catch {
                await connection.abort()
                failures += 1
                let delay = retryDelay(afterFailures: failures)
                logger.warning(
                    "drain consumer failed, reconnecting",
                    metadata: [
                        "consumer": "\(number)", "error": "\(error)", "attempt": "\(failures)",
                        "retry_in_seconds": "\(delay.timeInterval)",
                    ])
                metrics.counter("travis_logs_drain_reconnects_total", help: "Drain consumer reconnects.").increment()
                await sleepUnlessStopping(for: delay)
            }
        }
        await deadLetters.close()
    }

    // MARK: - Consuming

    /// Runs on the connection's thread, because the parameter is isolated, so reading,
    /// acknowledging and rejecting take no thread hop. Only a push to the queue hops there and back,
    /// because each hop costs a thread wake-up.
    private func consume(on connection: isolated AMQPConnection) async throws {
        var batch = DrainBatch()
        // The parts read but not forwarded yet, all of them in `batch`, when the first came, and
        // when the last read that brought messages returned.
        var forwarded = PartListJSON()
        var forwardingSince = ContinuousClock.now
        var lastArrival = ContinuousClock.now
        var pushFailures = 0
        while true {
            if isStopping {
                try await flush(&batch, forwarding: &forwarded, on: connection, failures: &pushFailures)
                return
            }
            let now = ContinuousClock.now
            let remaining = batch.remainingTime(of: settings.batchInterval, idleTime: settings.batchIdleTime, now: now)
            var wait = min(settings.pollInterval, remaining ?? .seconds(3600))
            if !forwarded.isEmpty {
                let due = min(forwardingSince + settings.forwardingWait, lastArrival + settings.forwardingQuietGap)
                wait = max(.zero, min(wait, due - now))
            }
            let chunk = try connection.nextDeliveries(
                limit: settings.prefetch, timeout: wait, into: DrainChunk(collectsJobIDs: forwardingFilter != nil)
            ) { chunk, delivery in
                chunk.add(delivery)
            }
            let wasForwarding = !forwarded.isEmpty
            try await receive(chunk, into: &batch, forwarding: &forwarded, on: connection, pushFailures: &pushFailures)
            let checked = ContinuousClock.now
            if !wasForwarding { forwardingSince = checked }
            if chunk.deliveryCount > 0 { lastArrival = checked }
            if batch.isDue(after: settings.batchInterval, now: checked)
                || batch.isIdle(for: settings.batchIdleTime, now: checked)
            {
                try await flush(&batch, forwarding: &forwarded, on: connection, failures: &pushFailures)
            } else if !forwarded.isEmpty
                && (checked - forwardingSince >= settings.forwardingWait
                    || checked - lastArrival >= settings.forwardingQuietGap || forwarded.count >= settings.batchSize)
            {
                try await forward(&forwarded)
            }
            try await checkHealth(on: connection, batch: batch)
        }
    }

    /// Adds the chunk's parts to the batch and to the parts waiting to be forwarded, storing the
    /// batch together with them whenever it fills.
    private func receive(
        _ chunk: DrainChunk, into batch: inout DrainBatch, forwarding forwarded: inout PartListJSON,
        on connection: isolated AMQPConnection, pushFailures: inout Int
    ) async throws {
        let deliveryCount = chunk.deliveryCount
        guard deliveryCount > 0 else { return }
        state.withLock { $0.receivedSinceProgress += deliveryCount }
        metrics.counter("travis_logs_drain_messages_received_total", help: "Messages the drain received.")
            .increment(by: deliveryCount)
        // The deliveries of one call arrived together, so they share one arrival time.
        let now = ContinuousClock.now
        let watched = await forwardingFilter?.watchedJobs(among: Array(chunk.jobIDs))
        var unwatched = 0
        var rejected = chunk.rejected[...]
        for (position, part) in chunk.partTags.enumerated() {
            // Rejected messages are handled in delivery order, before any later tag is acknowledged.
            while let next = rejected.first, next.position == position {
                rejected.removeFirst()
                try await deadLetter(next.delivery, rejection: next.rejection, on: connection)
            }
            // Both jobs carry the part base64-encoded, as the original service writes them. The
            // part's JSON was written once, and the same bytes go into both jobs.
            batch.append(from: chunk.parts, at: part.range, deliveryTag: part.deliveryTag, at: now)
            if watched?.contains(part.jobID) ?? true {
                forwarded.append(from: chunk.parts, at: part.range)
            } else {
                unwatched += 1
            }
            if batch.count >= settings.batchSize {
                try await flush(&batch, forwarding: &forwarded, on: connection, failures: &pushFailures)
            }
        }
        for next in rejected {
            try await deadLetter(next.delivery, rejection: next.rejection, on: connection)
        }
        if unwatched > 0 {
            metrics.counter(
                "travis_logs_drain_parts_unwatched_total",
                help: "Log parts the drain did not forward, because nobody watched their job."
            ).increment(by: unwatched)
        }
    }

    /// Pushes one `logs.pusher_forwarding` job for the parts, which are base64-encoded already.
    /// A failure is logged and not retried, because live forwarding is best effort and the parts
    /// are still stored with their batch.
    ///
    /// The original service pushes one job per part, but its job (and this project's) takes an
    /// array of parts and forwards each, so one job per chunk of deliveries is read the same way.
    private nonisolated(nonsending) func forward(_ parts: inout PartListJSON) async throws {
        guard !parts.isEmpty else { return }
        let jobs = [Self.serializedJob(.pusherForwarding([]), parts: parts, at: clock.now())]
        let partCount = parts.count
        parts.removeAll()
        do {
            try await push(jobs)
        } catch {
            metrics.counter("travis_logs_drain_push_failures_total", labels: ["queue": "logs.pusher_forwarding"])
                .increment()
            logger.warning(
                "forwarding log parts failed",
                metadata: ["consumer": "\(number)", "parts": "\(partCount)", "error": "\(error)"])
        }
    }

    /// Stores the batch as one `log_parts` job together with a `logs.pusher_forwarding` job for
    /// `forwarded`, in one push and so one Redis round trip, then acknowledges the batch.
    ///
    /// The forwarded parts are all in the batch, so when the push fails they come back with the
    /// requeued batch and are forwarded again then.
    private func flush(
        _ batch: inout DrainBatch, forwarding forwarded: inout PartListJSON, on connection: isolated AMQPConnection,
        failures: inout Int
    ) async throws {
        guard !batch.isEmpty else { return }
        let tag = batch.highestDeliveryTag
        let partCount = batch.count
        let now = clock.now()
        var jobs: [SerializedJob] = []
        if !forwarded.isEmpty {
            jobs.append(Self.serializedJob(.pusherForwarding([]), parts: forwarded, at: now))
            forwarded.removeAll()
        }
        jobs.append(Self.serializedJob(.logParts([]), parts: batch.parts, at: now))
        batch.removeAll()
        let started = ContinuousClock.now
        do {
            // NOTE: a slow push is logged but not abandoned, because a push cut short may still have
            // stored the job, and requeueing its messages would then store every part twice.
            try await push(jobs)
            logIfSlow(since: started, parts: partCount)
        } catch {
            failures += 1
            metrics.counter("travis_logs_drain_push_failures_total", labels: ["queue": "log_parts"]).increment()
            let delay = retryDelay(afterFailures: failures)
            logger.error(
                "storing a batch of log parts failed, requeueing it",
                metadata: [
                    "consumer": "\(number)", "parts": "\(partCount)", "delivery_tag": "\(tag)", "error": "\(error)",
                    "retry_in_seconds": "\(delay.timeInterval)",
                ])
            try connection.reject(deliveryTag: tag, multiple: true, requeue: true)
            await sleepUnlessStopping(for: delay)
            return
        }
        failures = 0
        try connection.acknowledge(deliveryTag: tag, multiple: true)
        markProgress()
        metrics.counter("travis_logs_drain_parts_queued_total", help: "Log parts the drain stored in log_parts jobs.")
            .increment(by: partCount)
    }

    /// Returns the job of `payload`'s class and queue with `parts` as its argument, written as
    /// Sidekiq JSON with `enqueued_at` equal to `created_at`.
    static func serializedJob(_ payload: JobPayload, parts: PartListJSON, at now: Date) -> SerializedJob {
        var job = payload.makeJob(at: now)
        job.enqueuedAt = job.createdAt
        return SerializedJob(queue: job.queue, payload: SidekiqJobJSON.payload(of: job, parts: parts))
    }

    /// Pushes jobs written as JSON: unchanged to a queue that takes them, such as Redis, and read
    /// back into `Job` values for any other queue.
    private nonisolated(nonsending) func push(_ jobs: [SerializedJob]) async throws {
        if let serializedQueue {
            try await serializedQueue.push(serialized: jobs)
        } else {
            try await queue.push(try jobs.map { try SidekiqJobJSON.job(from: $0.payload) })
        }
    }

    /// Keeps a message that can never become a part in the dead queue, unchanged, and
    /// acknowledges it alone once the broker confirmed the copy.
    ///
    /// When the copy fails, the message is rejected alone with requeue, so that it stays in the
    /// queue unacknowledged and a later multiple acknowledgement cannot cover it, and the consumer
    /// waits before consuming more.
    private func deadLetter(
        _ delivery: AMQPDelivery, rejection: DrainRejection, on connection: isolated AMQPConnection
    ) async throws {
        do {
            try await deadLetters.publish(delivery, to: settings.deadQueueName)
        } catch {
            let failures = state.withLock { state in
                state.deadLetterFailures += 1
                return state.deadLetterFailures
            }
            metrics.counter(
                "travis_logs_drain_dead_letter_failures_total",
                help: "Rejected messages whose dead queue copy the broker did not confirm."
            ).increment()
            let delay = retryDelay(afterFailures: failures)
            logger.error(
                "copying a rejected message to the dead queue failed, requeueing it",
                metadata: [
                    "consumer": "\(number)", "reason": "\(rejection.reason)",
                    "delivery_tag": "\(delivery.deliveryTag)", "queue": "\(settings.deadQueueName)",
                    "error": "\(error)", "retry_in_seconds": "\(delay.timeInterval)",
                ])
            try connection.reject(deliveryTag: delivery.deliveryTag, multiple: false, requeue: true)
            await sleepUnlessStopping(for: delay)
            return
        }
        state.withLock { $0.deadLetterFailures = 0 }
        try connection.acknowledge(deliveryTag: delivery.deliveryTag, multiple: false)
        markProgress()
        metrics.counter(
            "travis_logs_drain_messages_rejected_total", labels: ["reason": rejection.reason],
            help: "Messages the drain moved to the dead queue, by reason."
        ).increment()
        rejectionLog.record(
            reason: rejection.reason, deliveryTag: delivery.deliveryTag, bytes: delivery.body.count, consumer: number,
            deadQueue: settings.deadQueueName)
    }

    private func logIfSlow(since started: ContinuousClock.Instant, parts: Int) {
        let elapsed = ContinuousClock.now - started
        guard elapsed > settings.slowFlushThreshold else { return }
        logger.warning(
            "storing a batch of log parts was slow",
            metadata: [
                "consumer": "\(number)", "parts": "\(parts)", "seconds": "\(elapsed.timeInterval)",
                "threshold_seconds": "\(settings.slowFlushThreshold.timeInterval)",
            ])
    }

    // MARK: - Health

    /// Throws when nothing was acknowledged for `ackTimeout` while messages wait, so that `run()`
    /// replaces the connection. It checks once per `healthCheckInterval`.
    ///
    /// Waiting messages are those this consumer received since its last acknowledgement, or, when
    /// it received none, the messages ready in its queue.
    private func checkHealth(on connection: isolated AMQPConnection, batch: DrainBatch) async throws {
        let now = ContinuousClock.now
        let check: (lastProgress: ContinuousClock.Instant, received: Int)? = state.withLock { state in
            guard now - state.lastHealthCheck >= settings.healthCheckInterval else { return nil }
            state.lastHealthCheck = now
            return (state.lastProgress, state.receivedSinceProgress)
        }
        guard let (lastProgress, received) = check, now - lastProgress > settings.ackTimeout else { return }
        var waiting = received
        if waiting == 0 && !settings.isSharded {
            // The sharding plugin's queue name is not a real queue, so only the unsharded queue is asked.
            waiting = try connection.declareQueue(settings.queueName, passive: true).messageCount
        }
        guard waiting > 0 else {
            markProgress()
            return
        }
        throw AMQPError(
            .timedOut,
            "acknowledged nothing for \(settings.ackTimeout.timeInterval) s while \(waiting) messages wait",
            operation: "basic.ack")
    }

    private func markProgress() {
        state.withLock { state in
            state.lastProgress = .now
            state.receivedSinceProgress = 0
        }
    }

    private func retryDelay(afterFailures failures: Int) -> Duration {
        min(settings.maximumRetryDelay, settings.initialRetryDelay * (1 << min(failures - 1, 20)))
    }

    private nonisolated(nonsending) func sleepUnlessStopping(for delay: Duration) async {
        let end = ContinuousClock.now + delay
        while !isStopping && ContinuousClock.now < end {
            try? await Task.sleep(for: min(settings.pollInterval, end - .now))
        }
    }
}
