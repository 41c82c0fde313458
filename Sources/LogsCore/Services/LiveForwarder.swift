import Foundation

/// Sends parts to browsers as they arrive: the `logs.pusher_forwarding` step.
///
/// Pusher gets a `job:log` event only when the job's channel is occupied, unless the existence
/// check is off, and never one whose data is over 10 KB: a larger part is cut at a character
/// boundary and counted, since browsers fetch the whole log afterwards. The live stream gets every
/// part whole, or, with an audience, only the parts of the jobs that a stream client watches. A
/// part that goes to neither is not decoded. Send failures are counted but not thrown, because a
/// live event sent late by a retry is no use. They are logged once per run of failures per
/// target, so an outage does not log one error per part, and the first success after a run logs
/// how many sends failed.
public struct LiveForwarder: Sendable {
    private let pusher: (any Broadcaster)?
    private let liveStream: (any Broadcaster)?
    private let presence: any ChannelPresence
    private let streamAudience: (any LiveStreamAudience)?
    private let checksExistence: Bool
    private let usesPrivateChannels: Bool
    private let normalizer = PartNormalizer()
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let failureRuns = FailureRuns()

    /// - Parameter streamAudience: the jobs that stream clients watch; nil publishes every part on
    ///   the live stream.
    public init(
        pusher: (any Broadcaster)?, liveStream: (any Broadcaster)?, presence: any ChannelPresence,
        checksExistence: Bool, usesPrivateChannels: Bool, streamAudience: (any LiveStreamAudience)? = nil,
        logger: Logger, metrics: MetricsRegistry
    ) {
        self.pusher = pusher
        self.liveStream = liveStream
        self.presence = presence
        self.streamAudience = streamAudience
        self.checksExistence = checksExistence
        self.usesPrivateChannels = usesPrivateChannels
        self.logger = logger
        self.metrics = metrics
    }

    /// The jobs whose parts go to one target.
    private enum Selection {
        case every
        case some(Set<JobID>)

        func contains(_ jobID: JobID) -> Bool {
            switch self {
            case .every: return true
            case .some(let jobIDs): return jobIDs.contains(jobID)
            }
        }
    }

    /// Forwards parts in the order given.
    public func forward(_ parts: [RawLogPart]) async {
        guard pusher != nil || liveStream != nil else { return }
        var jobIDs: [JobID] = []
        var seen: Set<JobID> = []
        for part in parts where seen.insert(part.jobID).inserted { jobIDs.append(part.jobID) }
        // Both usually come from memory, so they are read one after the other, because a child
        // task for either would cost a thread hop for every job.
        let occupied = await pusherJobs(among: jobIDs)
        let streamed = await streamedJobs(among: jobIDs)
        var streamEvents: [LogPartEvent] = []
        var pusherEvents: [LogPartEvent] = []
        var skipped = (pusher: 0, stream: 0)
        for part in parts {
            let toPusher = occupied.contains(part.jobID)
            let toStream = streamed.contains(part.jobID)
            if pusher != nil && !toPusher { skipped.pusher += 1 }
            if liveStream != nil && !toStream { skipped.stream += 1 }
            guard toPusher || toStream, let event = event(for: part) else { continue }
            if toStream { streamEvents.append(event) }
            if toPusher { pusherEvents.append(truncated(event)) }
        }
        count("skipped", target: "pusher", by: skipped.pusher)
        count("skipped", target: "stream", by: skipped.stream)
        if streamEvents.isEmpty || pusherEvents.isEmpty {
            await send(streamEvents, to: liveStream, name: "stream")
            await send(pusherEvents, to: pusher, name: "pusher")
        } else {
            // The targets do not depend on each other, so neither waits for the other's round trips.
            async let sentToStream: Void = send(streamEvents, to: liveStream, name: "stream")
            await send(pusherEvents, to: pusher, name: "pusher")
            await sentToStream
        }
    }

    /// Returns the part's event, or nil when the part is dropped.
    private func event(for part: RawLogPart) -> LogPartEvent? {
        do {
            let normalized = try normalizer.normalize(part)
            return LogPartEvent(
                channel: LogPartEvent.channel(for: part.jobID, isPrivate: usesPrivateChannels), jobID: part.jobID,
                content: normalized.displayContent, number: normalized.number, isFinal: normalized.isFinal)
        } catch {
            count("dropped", target: "pusher", by: 1)
            let reason = (error as? LogsError)?.reason ?? "invalid"
            logger.warning("dropped live log part", metadata: ["job_id": "\(part.jobID)", "reason": "\(reason)"])
            return nil
        }
    }

    private func truncated(_ event: LogPartEvent) -> LogPartEvent {
        let (limited, wasCut) = event.truncated()
        if wasCut {
            count("truncated", target: "pusher", by: 1)
            logger.debug(
                "truncated live log part", metadata: ["job_id": "\(event.jobID)", "number": "\(event.number)"])
        }
        return limited
    }

    /// Returns the jobs whose channel is occupied. When presence cannot be read, assumes every
    /// channel is, so browsers keep getting events.
    private func pusherJobs(among jobIDs: [JobID]) async -> Selection {
        guard pusher != nil else { return .some([]) }
        guard checksExistence else { return .every }
        let channels = jobIDs.map { LogPartEvent.channel(for: $0, isPrivate: usesPrivateChannels) }
        do {
            let occupied = try await presence.occupiedChannels(among: channels)
            noteRead(of: "channel presence", failedWith: nil)
            return .some(Set(zip(jobIDs, channels).lazy.filter { occupied.contains($0.1) }.map(\.0)))
        } catch {
            noteRead(of: "channel presence", failedWith: error)
            return .every
        }
    }

    /// Returns the jobs that a stream client watches. When the audience cannot be read, assumes
    /// every job is watched.
    private func streamedJobs(among jobIDs: [JobID]) async -> Selection {
        guard liveStream != nil else { return .some([]) }
        guard let streamAudience else { return .every }
        do {
            let watched = try await streamAudience.watchedJobs(among: jobIDs)
            noteRead(of: "stream audience", failedWith: nil)
            return .some(watched)
        } catch {
            noteRead(of: "stream audience", failedWith: error)
            return .every
        }
    }

    /// Logs the first failure of a run of failed reads, and the success that ends it.
    private func noteRead(of name: String, failedWith error: (any Error)?) {
        guard let error else {
            failureRuns.logRecovery(name, to: logger, "reading \(name) works again", countName: "failed_reads")
            return
        }
        failureRuns.logFailure(
            name, to: logger, level: .warning,
            "reading \(name) failed, so live events go to every job until it works again",
            metadata: ["error": "\(error)"])
    }

    private func send(_ events: [LogPartEvent], to broadcaster: (any Broadcaster)?, name: String) async {
        guard let broadcaster, !events.isEmpty else { return }
        do {
            try await broadcaster.broadcast(events)
            metrics.counter(
                "travis_logs_live_events_total", labels: ["target": name, "result": "sent"],
                help: "Live log events by target and result."
            ).increment(by: events.count)
            failureRuns.logRecovery(
                name, to: logger, "sending live log events works again", countName: "failed_sends",
                metadata: ["target": "\(name)"])
        } catch {
            metrics.counter(
                "travis_logs_live_events_total", labels: ["target": name, "result": "failed"],
                help: "Live log events by target and result."
            ).increment(by: events.count)
            failureRuns.logFailure(
                name, to: logger, level: .error, "sending live log events failed; logging again once sending works",
                repeatMessage: "sending live log events failed again",
                metadata: ["target": "\(name)", "job_id": "\(events[0].jobID)", "error": "\(error)"])
        }
    }

    private func count(_ result: String, target: String, by amount: Int) {
        guard amount > 0 else { return }
        metrics.counter(
            "travis_logs_live_events_total", labels: ["target": target, "result": result],
            help: "Live log events by target and result."
        ).increment(by: amount)
    }
}
