import LogsCore

/// A filter that keeps, while the channel existence check is on, the jobs whose parts the drain
/// forwards: those with an occupied Pusher channel or a stream client.
///
/// The forwarding worker sends a part only to those targets, so any other part would be queued,
/// read and skipped. Each job's result is kept for `maximumAge`, so most calls read no Redis key.
/// A browser that starts watching can miss up to `maximumAge` of live parts, as with the forwarding
/// worker's own cache, and reads them with the log. When a read fails, every part is forwarded
/// and the run of failures is logged once.
public final class DrainForwardingFilter: Sendable {
    private let presence: any ChannelPresence
    private let audience: any LiveStreamAudience
    private let usesPrivateChannels: Bool
    private let watched: ExpiringFlags<JobID>
    private let failureRuns = FailureRuns()
    private let logger: Logger

    /// - Parameters:
    ///   - presence: the Pusher channels that browsers occupy, uncached.
    ///   - audience: the jobs that stream clients watch, uncached.
    ///   - usesPrivateChannels: whether channels are named `private-job-<id>`, as with
    ///     `PUSHER_SECURE`.
    public init(
        presence: any ChannelPresence, audience: any LiveStreamAudience, usesPrivateChannels: Bool,
        maximumAge: Duration = .seconds(1), capacity: Int = 10_000, logger: Logger
    ) {
        self.presence = presence
        self.audience = audience
        self.usesPrivateChannels = usesPrivateChannels
        watched = ExpiringFlags(maximumAge: maximumAge, capacity: capacity)
        self.logger = logger
    }

    /// Returns the jobs among `jobIDs` with an occupied channel or a stream client, or nil when the
    /// read failed and every part is to be forwarded.
    ///
    /// It runs on the caller's executor, so a kept result costs no thread hop.
    nonisolated(nonsending) func watchedJobs(among jobIDs: [JobID]) async -> Set<JobID>? {
        do {
            let found = try await watched.trueKeys(among: jobIDs) { missing in
                let channels = missing.map { LogPartEvent.channel(for: $0, isPrivate: usesPrivateChannels) }
                let occupied = try await presence.occupiedChannels(among: channels)
                var found = try await audience.watchedJobs(among: missing)
                for (jobID, channel) in zip(missing, channels) where occupied.contains(channel) {
                    found.insert(jobID)
                }
                return found
            }
            failureRuns.logRecovery(
                "watchers", to: logger, "reading who watches live parts works again", countName: "failed_reads")
            return found
        } catch {
            failureRuns.logFailure(
                "watchers", to: logger, level: .warning,
                "reading who watches live parts failed; the drain forwards every part meanwhile",
                metadata: ["error": "\(error)"])
            return nil
        }
    }
}
