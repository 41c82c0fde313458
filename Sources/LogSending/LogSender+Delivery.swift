import CurlClient
import Foundation
import LogsCore

extension LogSender {
    /// Sends one request's parts until the server accepts them, retrying what may succeed later.
    ///
    /// - Throws: `SendError`, or `CancellationError` when another request of the send failed.
    func deliver(
        _ parts: [OutgoingLogPart], tally: SendTally, progress: @escaping @Sendable (SendProgress) -> Void
    ) async throws {
        let started = ContinuousClock.now
        var attempts = 0
        while true {
            try Task.checkCancellation()
            attempts += 1
            let failure: RetryableFailure
            switch try await attempt(parts) {
            case .accepted:
                if let retries = failureRuns.recordSuccess(runKey), retries > 0 {
                    logger.info("the server accepts parts again", metadata: ["job_id": "\(settings.jobID)"])
                }
                progress(tally.recordDelivery(parts))
                return
            case .retry(let reason):
                failure = reason
            }
            let delay = backoff(attempts: attempts, retryAfter: failure.retryAfter)
            guard ContinuousClock.now - started + delay <= settings.retryTimeout else {
                throw SendError(
                    .timedOut,
                    "gave up on \(describe(parts)) after \(attempts) attempts over \(settings.retryTimeout): "
                        + "\(failure.message); check that the web process at \(settings.baseURL) is running",
                    status: failure.status)
            }
            if failureRuns.recordFailure(runKey) {
                logger.warning(
                    "retrying log parts",
                    metadata: [
                        "job_id": "\(settings.jobID)", "parts": "\(describe(parts))", "error": "\(failure.message)",
                        "delay_ms": "\(Int(delay / .milliseconds(1)))",
                    ])
            }
            tally.recordRetry()
            try await Task.sleep(for: delay)
        }
    }

    private var runKey: String { "send" }

    private enum AttemptResult {
        case accepted
        case retry(RetryableFailure)
    }

    private struct RetryableFailure {
        var message: String
        var status: Int?
        var retryAfter: Duration?
    }

    private func attempt(_ parts: [OutgoingLogPart]) async throws(SendError) -> AttemptResult {
        let request = makeRequest(parts)
        let response: HTTPResponse
        do {
            response = try await client.execute(request)
        } catch let error as HTTPClientError {
            guard error.isTransient else { throw SendError(.requestFailed, "\(error)") }
            return .retry(RetryableFailure(message: error.message, status: nil, retryAfter: nil))
        } catch {
            throw SendError(.requestFailed, "\(request.method) \(request.redactedURL) failed: \(error)")
        }
        if response.isSuccess { return .accepted }
        let message = "\(request.method) \(request.redactedURL) returned \(response.status)\(serverMessage(response))"
        guard Self.isRetryable(status: response.status) else {
            throw SendError(
                .rejected, "the server rejected \(describe(parts)): \(message)", status: response.status)
        }
        let retryAfter = response.header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return .retry(
            RetryableFailure(message: message, status: response.status, retryAfter: retryAfter.map { .seconds($0) }))
    }

    /// Returns whether a status may turn into a success when the same request is sent again.
    static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// Returns the wait before the next attempt.
    ///
    /// A `Retry-After` from the server wins, capped at 30 seconds so that a long maintenance window
    /// is polled. Otherwise the wait doubles from `initialBackoff` up to `maximumBackoff`, less up to
    /// a quarter at random, so that concurrent requests do not retry in step.
    func backoff(attempts: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return min(max(retryAfter, .milliseconds(1)), .seconds(30)) }
        let doublings = min(attempts - 1, 20)
        let full = min(settings.initialBackoff * (1 << doublings), settings.maximumBackoff)
        return full * (1 - Double.random(in: 0..<0.25))
    }

    /// Returns `: <message>` from the server's JSON error body, shortened, or nothing.
    private func serverMessage(_ response: HTTPResponse) -> String {
        guard let json = try? JSONValue(parsing: response.body), let message = json["error"]?.stringValue,
            !message.isEmpty
        else { return "" }
        return ": " + String(message.prefix(200))
    }

    /// Names the parts of one request for messages, such as `parts 11 to 20 of job 42`.
    func describe(_ parts: [OutgoingLogPart]) -> String {
        guard let first = parts.first, let last = parts.last else { return "no parts of job \(settings.jobID)" }
        if parts.count == 1 { return "part \(first.number) of job \(settings.jobID)" }
        return "parts \(first.number) to \(last.number) of job \(settings.jobID)"
    }
}
