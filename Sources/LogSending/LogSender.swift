import CurlClient
import Foundation
import LogsCore

/// Streams a job's log parts to a running `web` process, as a CI worker does.
///
/// With a token, each part is one `PUT /log-parts/:job_id/:number`. With a signer, parts go in
/// batches to `POST /log-parts/multi`, each with its own RS512 token. Up to `concurrency` requests
/// are in flight, paced to `rate` parts per second when it is set. The final part is sent alone
/// and only after every other part was accepted, so the service never receives the end of a log
/// while parts are still missing.
///
/// A request that fails to connect, times out, or gets 408, 429 or a 5xx status (such as 503
/// during maintenance) is sent again after a backoff that grows from `initialBackoff` to
/// `maximumBackoff`, or after the server's `Retry-After`. A retried part can reach the service
/// twice when the first response was lost; the service keeps the first copy of a part number.
public struct LogSender: Sendable {
    /// The authorization scheme of the requests.
    public enum Authentication: Sendable {
        /// `PUT /log-parts/:job_id/:number` with `Authorization: token <token>`.
        case token(String)
        /// `POST /log-parts/multi` with a token per part from this signer.
        case partTokens(PartTokenSigner)
    }

    /// The target, pacing and retry limits of a send.
    public struct Settings: Sendable {
        /// The base URL of the web process, such as `http://127.0.0.1:5555`.
        public var baseURL: URL
        public var jobID: JobID
        public var authentication: Authentication
        /// The maximum parts per second, or nil to send as fast as the server accepts them.
        public var rate: Double?
        /// The maximum requests in flight at once.
        public var concurrency: Int
        /// Parts per `POST /log-parts/multi` request. Token requests carry one part each.
        public var partsPerRequest: Int
        /// How long one request keeps being retried before the send fails.
        public var retryTimeout: Duration
        /// The limit of one attempt, connecting included.
        public var requestTimeout: Duration
        public var initialBackoff: Duration
        public var maximumBackoff: Duration

        public init(
            baseURL: URL, jobID: JobID, authentication: Authentication, rate: Double? = nil, concurrency: Int = 4,
            partsPerRequest: Int = 10, retryTimeout: Duration = .seconds(120), requestTimeout: Duration = .seconds(30),
            initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(5)
        ) {
            self.baseURL = baseURL
            self.jobID = jobID
            self.authentication = authentication
            self.rate = rate
            self.concurrency = concurrency
            self.partsPerRequest = partsPerRequest
            self.retryTimeout = retryTimeout
            self.requestTimeout = requestTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }
    }

    let settings: Settings
    let client: CurlHTTPClientPool
    let logger: Logger
    /// Runs of consecutive retries, so that a server restart logs one warning instead of one per part.
    let failureRuns = FailureRuns()

    /// Creates a sender with `settings.concurrency` HTTP clients, each on a thread of its own.
    ///
    /// - Throws: `SendError` with code `.requestFailed` when libcurl cannot create a handle.
    public init(settings: Settings, logger: Logger) throws(SendError) {
        precondition(settings.concurrency > 0, "a sender needs at least one request in flight")
        precondition(settings.partsPerRequest > 0, "a request carries at least one part")
        self.settings = settings
        self.logger = logger
        let options = CurlHTTPClient.Options(
            connectTimeout: min(settings.requestTimeout, .seconds(5)), timeout: settings.requestTimeout,
            maximumResponseBodySize: 1024 * 1024, userAgent: "travis-logs-send")
        do {
            client = try CurlHTTPClientPool(name: "send", size: settings.concurrency, options: options)
        } catch {
            throw SendError(.requestFailed, "cannot create an HTTP client: \(error)")
        }
    }

    /// Sends `parts` in order of their numbers and returns what was delivered.
    ///
    /// - Parameter progress: called after each accepted request, from any thread.
    /// - Throws: `SendError` with code `.rejected` when the server refuses a request for good,
    ///   `.timedOut` when a request kept failing for `retryTimeout`, or `.requestFailed`. The final
    ///   part is not sent then, and the error's `delivered` counts what the server accepted before.
    public func send(
        _ parts: [OutgoingLogPart], progress: @escaping @Sendable (SendProgress) -> Void = { _ in }
    ) async throws(SendError) -> SendSummary {
        let tally = SendTally(totalParts: parts.count, totalBytes: parts.reduce(0) { $0 + $1.content.count })
        let started = ContinuousClock.now
        do {
            let (leading, final) = batches(parts)
            try await sendConcurrently(leading, started: started, tally: tally, progress: progress)
            if let final {
                try await pace(partsBefore: parts.count - final.count, started: started)
                try await deliver(final, tally: tally, progress: progress)
            }
        } catch {
            var failure: SendError
            switch error {
            case let error as SendError: failure = error
            case is CancellationError: failure = SendError(.requestFailed, "the send was cancelled")
            default: failure = SendError(.requestFailed, "\(error)")
            }
            failure.delivered = tally.summary(elapsed: ContinuousClock.now - started)
            throw failure
        }
        return tally.summary(elapsed: ContinuousClock.now - started)
    }

    /// Splits the parts into requests: the non-final ones in order, and the final part on its own.
    func batches(_ parts: [OutgoingLogPart]) -> (leading: [[OutgoingLogPart]], final: [OutgoingLogPart]?) {
        var leadingParts = parts.sorted { $0.number < $1.number }
        let final = leadingParts.lastIndex { $0.isFinal }.map { [leadingParts.remove(at: $0)] }
        let size: Int
        switch settings.authentication {
        case .token: size = 1
        case .partTokens: size = settings.partsPerRequest
        }
        let leading = stride(from: 0, to: leadingParts.count, by: size).map { start in
            Array(leadingParts[start..<min(start + size, leadingParts.count)])
        }
        return (leading, final)
    }

    private func sendConcurrently(
        _ batches: [[OutgoingLogPart]], started: ContinuousClock.Instant, tally: SendTally,
        progress: @escaping @Sendable (SendProgress) -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var partsBefore = 0
            for batch in batches {
                if inFlight == settings.concurrency {
                    try await group.next()
                    inFlight -= 1
                }
                try await pace(partsBefore: partsBefore, started: started)
                partsBefore += batch.count
                group.addTask { try await deliver(batch, tally: tally, progress: progress) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    /// Waits until the part after `partsBefore` parts is due at `rate`, counted from `started`.
    private func pace(partsBefore: Int, started: ContinuousClock.Instant) async throws {
        guard let rate = settings.rate else { return }
        let due = started + .seconds(Double(partsBefore) / rate)
        if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
    }
}
