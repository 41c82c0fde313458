/// The Redis keys of the job queue.
///
/// Sidekiq's own keys (`queues`, `queue:<name>`, `schedule`, `retry`, `dead`) are the ones Ruby
/// Sidekiq 6.4 uses, so its processes, API and web UI see the same jobs. The keys under
/// `travis-logs:` are this port's reliable fetch, which Ruby Sidekiq ignores: an in-progress
/// list and a heartbeat per process, the set of processes that may own an in-progress list, and
/// the claims of unique jobs.
public struct RedisQueueKeys: Sendable, Hashable {
    /// The namespace followed by `:`, or empty.
    public let prefix: String

    /// - Parameter namespace: a prefix for every key, as `TRAVIS_SIDEKIQ_NAMESPACE` sets it;
    ///   empty for the unprefixed keys that Ruby Sidekiq uses by default.
    public init(namespace: String) {
        prefix = namespace.isEmpty || namespace.hasSuffix(":") ? namespace : namespace + ":"
    }

    /// The set of queue names that have had jobs, which Sidekiq's API lists.
    public var queues: String { prefix + "queues" }
    public func queue(_ name: String) -> String { prefix + "queue:" + name }
    /// Jobs due later, scored by due time in seconds since 1970.
    public var schedule: String { prefix + "schedule" }
    /// Failed jobs waiting for their next attempt, scored by due time.
    public var retry: String { prefix + "retry" }
    /// Jobs whose retries are used up, scored by the time they failed for good.
    public var dead: String { prefix + "dead" }
    /// The identities of processes that own an in-progress list.
    public var processes: String { prefix + "travis-logs:processes" }
    public func inProgress(_ identity: String) -> String { prefix + "travis-logs:in-progress:" + identity }
    /// A key that exists, with an expiry, while the process `identity` is alive.
    public func heartbeat(_ identity: String) -> String { prefix + "travis-logs:heartbeat:" + identity }
    /// The claim that a unique job with `uniqueKey` is waiting.
    public func unique(_ uniqueKey: String) -> String { prefix + "travis-logs:unique:" + uniqueKey }
}
