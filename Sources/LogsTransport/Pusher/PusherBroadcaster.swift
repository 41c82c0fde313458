import CurlClient
import Foundation
import LogsCore
import Synchronization

/// A `Broadcaster` that triggers `job:log` events through Pusher's HTTP API.
///
/// One event goes to `POST /apps/<app_id>/events`; two or more go to `POST /apps/<app_id>/batch_events`,
/// at most 10 per request, which is Pusher's batch limit. Event data is sent as given: the
/// `LiveForwarder` has already dropped events for unwatched channels and cut data to 10 KB.
///
/// Failures are thrown to the caller, counted in `travis_logs_pusher_failures_total` and logged at
/// debug level. The caller logs them for operators: `LiveForwarder` logs once per run of failures.
public struct PusherBroadcaster: Broadcaster {
    /// Pusher's limit of events in one `batch_events` request.
    public static let maximumBatchSize = 10

    /// The number of requests that can run at once.
    public let connections: Int
    private let signer: PusherRequestSigner
    private let baseURL: String
    private let appID: String
    private let clients: CurlHTTPClientPool
    private let clock: any LogsClock
    private let logger: Logger
    private let metrics: MetricsRegistry

    /// Creates a broadcaster for the app, host, port and scheme in `settings`.
    ///
    /// - Parameters:
    ///   - connections: The number of requests that can run at once, each on its own thread.
    ///   - timeout: The maximum time for one request. A live event sent late is of little use, so
    ///     this is short and nothing is retried.
    /// - Throws: `PusherError` with code `.invalidConfiguration` when the app id, key or secret is missing.
    public init(
        settings: LogsConfiguration.Pusher, connections: Int = 2, connectTimeout: Duration = .seconds(2),
        timeout: Duration = .seconds(5), clock: any LogsClock = SystemClock(), logger: Logger,
        metrics: MetricsRegistry
    ) throws {
        guard !settings.appID.isEmpty, !settings.key.isEmpty, !settings.secret.isEmpty else {
            throw PusherError(
                code: .invalidConfiguration,
                message:
                    "missing app id, key or secret; set TRAVIS_PUSHER_APP_ID, TRAVIS_PUSHER_KEY and TRAVIS_PUSHER_SECRET"
            )
        }
        signer = PusherRequestSigner(key: settings.key, secret: settings.secret)
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        baseURL = "\(settings.scheme)://\(host):\(settings.port)"
        appID = settings.appID
        self.connections = max(1, connections)
        clients = try CurlHTTPClientPool(
            name: "pusher", size: connections,
            options: CurlHTTPClient.Options(connectTimeout: connectTimeout, timeout: timeout))
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    /// Sends the events in order, in requests of at most ``maximumBatchSize``.
    ///
    /// The requests go to one client together, so the whole call costs one hop onto its thread
    /// and back instead of one per request.
    ///
    /// - Throws: `PusherError` for the first request that fails; later batches are not sent.
    public func broadcast(_ events: [LogPartEvent]) async throws {
        guard !events.isEmpty else { return }
        let timestamp = Int64(clock.now().timeIntervalSince1970.rounded())
        var batches: [ArraySlice<LogPartEvent>] = []
        var requests: [HTTPRequest] = []
        var start = 0
        while start < events.count {
            let end = min(start + Self.maximumBatchSize, events.count)
            batches.append(events[start..<end])
            requests.append(signedRequest(for: events[start..<end], timestamp: timestamp))
            start = end
        }
        let results = await clients.executeInOrder(requests)
        for (batch, result) in zip(batches, results) {
            do {
                try Self.check(result)
            } catch {
                recordFailure(error, jobID: batch.first?.jobID)
                throw error
            }
        }
    }

    private func signedRequest(for events: ArraySlice<LogPartEvent>, timestamp: Int64) -> HTTPRequest {
        let (path, body) = Self.request(for: events, appID: appID)
        let query = signer.signedQuery(method: "POST", path: path, body: body, timestamp: timestamp)
        return HTTPRequest(
            method: "POST", url: "\(baseURL)\(path)?\(query)", headers: [("Content-Type", "application/json")],
            body: body)
    }

    private static func check(_ result: Result<HTTPResponse, HTTPClientError>) throws(PusherError) {
        let response: HTTPResponse
        switch result {
        case .success(let received):
            response = received
        case .failure(let error):
            throw PusherError(code: .requestFailed, curlCode: error.curlCode, message: error.message)
        }
        guard response.isSuccess else {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw PusherError(
                code: .errorStatus, httpStatus: response.status,
                message: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Returns the path and JSON body for the events: `events` for one, `batch_events` for more.
    ///
    /// The body has the bytes that `JSONValue.jsonData()` writes for the same objects. It is
    /// written directly, without Foundation's encoder or `JSONValue` dictionaries, which cost more
    /// CPU time per event than the rest of forwarding.
    static func request(for events: ArraySlice<LogPartEvent>, appID: String) -> (path: String, body: Data) {
        var writer = JSONValueWriter(reservingCapacity: 256 * events.count)
        writer.writePusherBody(for: events)
        let path = events.count == 1 ? "/apps/\(appID)/events" : "/apps/\(appID)/batch_events"
        return (path, Data(writer.bytes))
    }

    private func recordFailure(_ error: PusherError, jobID: JobID?) {
        metrics.counter(
            "travis_logs_pusher_failures_total", labels: ["code": "\(error.code)"],
            help: "Failed Pusher requests by error code."
        ).increment()
        logger.debug(
            "Pusher request failed", metadata: ["job_id": "\(jobID.map { "\($0)" } ?? "")", "error": "\(error)"])
    }
}
