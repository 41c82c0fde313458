import Foundation

/// Sends parts to browsers as they arrive: the `logs.pusher_forwarding` step.
///
/// Pusher gets a `job:log` event only when the job's channel is occupied, unless the existence
/// check is off, and never one whose data is over 10 KB: a larger part is cut at a character
/// boundary and counted, since browsers fetch the whole log afterwards. The live stream gets every
/// part whole. Send failures are counted but not thrown, because a live event sent late by a retry
/// is no use. They are logged once per run of failures per target, so an outage does not log one
/// error per part, and the first success after a run logs how many sends failed.
public struct LiveForwarder: Sendable {
    private let pusher: (any Broadcaster)?
    private let liveStream: (any Broadcaster)?
    private let presence: any ChannelPresence
    private let checksExistence: Bool
    private let usesPrivateChannels: Bool
    private let normalizer = PartNormalizer()
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let failureRuns = FailureRuns()

    public init(
        pusher: (any Broadcaster)?, liveStream: (any Broadcaster)?, presence: any ChannelPresence,
        checksExistence: Bool, usesPrivateChannels: Bool, logger: Logger, metrics: MetricsRegistry
    ) {
        self.pusher = pusher
        self.liveStream = liveStream
        self.presence = presence
        self.checksExistence = checksExistence
        self.usesPrivateChannels = usesPrivateChannels
        self.logger = logger
        self.metrics = metrics
    }

    /// Forwards parts in the order given.
    public func forward(_ parts: [RawLogPart]) async {
        guard pusher != nil || liveStream != nil else { return }
        var events: [LogPartEvent] = []
        for part in parts {
            do {
                let normalized = try normalizer.normalize(part)
                let channel = LogPartEvent.channel(for: part.jobID, isPrivate: usesPrivateChannels)
                events.append(
                    LogPartEvent(
                        channel: channel, jobID: part.jobID, content: normalized.displayContent,
                        number: normalized.number, isFinal: normalized.isFinal))
            } catch let error as LogsError {
                count("dropped")
                logger.warning(
                    "dropped live log part",
                    metadata: ["job_id": "\(part.jobID)", "reason": "\(error.reason ?? "invalid")"])
            } catch {
                count("dropped")
            }
        }
        guard !events.isEmpty else { return }
        // The targets do not depend on each other, so neither waits for the other's round trips.
        async let streamed: Void = send(events, to: liveStream, name: "stream")
        if let pusher {
            await send(await pusherEvents(from: events), to: pusher, name: "pusher")
        }
        await streamed
    }

    private func pusherEvents(from events: [LogPartEvent]) async -> [LogPartEvent] {
        var result: [LogPartEvent] = []
        var occupancy: [String: Bool] = [:]
        for event in events {
            if checksExistence {
                let occupied: Bool
                if let known = occupancy[event.channel] {
                    occupied = known
                } else {
                    occupied = await isOccupied(event.channel)
                    occupancy[event.channel] = occupied
                }
                guard occupied else {
                    count("skipped")
                    continue
                }
            }
            let (limited, wasCut) = event.truncated()
            if wasCut {
                count("truncated")
                logger.debug(
                    "truncated live log part", metadata: ["job_id": "\(event.jobID)", "number": "\(event.number)"])
            }
            result.append(limited)
        }
        return result
    }

    /// Returns whether the channel is watched; when presence cannot be read, assumes it is, so
    /// browsers keep getting events.
    private func isOccupied(_ channel: String) async -> Bool {
        do {
            return try await presence.isOccupied(channel)
        } catch {
            logger.warning("channel presence check failed", metadata: ["channel": "\(channel)", "error": "\(error)"])
            return true
        }
    }

    private func send(_ events: [LogPartEvent], to broadcaster: (any Broadcaster)?, name: String) async {
        guard let broadcaster, !events.isEmpty else { return }
        do {
            try await broadcaster.broadcast(events)
            metrics.counter(
                "travis_logs_live_events_total", labels: ["target": name, "result": "sent"],
                help: "Live log events by target and result."
            ).increment(by: events.count)
            if let failures = failureRuns.recordSuccess(name) {
                logger.info(
                    "sending live log events works again",
                    metadata: ["target": "\(name)", "failed_sends": "\(failures)"])
            }
        } catch {
            metrics.counter(
                "travis_logs_live_events_total", labels: ["target": name, "result": "failed"],
                help: "Live log events by target and result."
            ).increment(by: events.count)
            let metadata: Logger.Metadata = ["target": "\(name)", "job_id": "\(events[0].jobID)", "error": "\(error)"]
            if failureRuns.recordFailure(name) {
                logger.error("sending live log events failed; logging again once sending works", metadata: metadata)
            } else {
                logger.debug("sending live log events failed again", metadata: metadata)
            }
        }
    }

    private func count(_ result: String) {
        metrics.counter(
            "travis_logs_live_events_total", labels: ["target": "pusher", "result": result],
            help: "Live log events by target and result."
        ).increment()
    }
}
