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
    /// - Throws: `PusherError` for the first request that fails; later batches are not sent.
    public func broadcast(_ events: [LogPartEvent]) async throws {
        var start = 0
        while start < events.count {
            let end = min(start + Self.maximumBatchSize, events.count)
            try await send(events[start..<end])
            start = end
        }
    }

    private func send(_ events: ArraySlice<LogPartEvent>) async throws {
        let (path, body) = Self.request(for: events, appID: appID)
        let timestamp = Int64(clock.now().timeIntervalSince1970.rounded())
        let query = signer.signedQuery(method: "POST", path: path, body: body, timestamp: timestamp)
        let request = HTTPRequest(
            method: "POST", url: "\(baseURL)\(path)?\(query)", headers: [("Content-Type", "application/json")],
            body: body)
        do {
            try await execute(request)
        } catch let error as PusherError {
            recordFailure(error, jobID: events.first?.jobID)
            throw error
        }
    }

    private func execute(_ request: HTTPRequest) async throws {
        let response: HTTPResponse
        do {
            response = try await clients.execute(request)
        } catch let error as HTTPClientError {
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
    /// `JSONValueWriter` writes the same bytes as `JSONValue.jsonData()` without Foundation's
    /// encoder, which cost more CPU time per event than the rest of forwarding.
    static func request(for events: ArraySlice<LogPartEvent>, appID: String) -> (path: String, body: Data) {
        func dataString(_ event: LogPartEvent) -> String {
            JSONValueWriter.string(of: event.dataValue)
        }
        func bodyData(_ body: JSONValue) -> Data {
            var writer = JSONValueWriter()
            writer.write(body)
            return Data(writer.bytes)
        }
        if events.count == 1, let event = events.first {
            let body = JSONValue.object([
                "name": .string(LogPartEvent.eventName), "channels": .array([.string(event.channel)]),
                "data": .string(dataString(event)),
            ])
            return ("/apps/\(appID)/events", bodyData(body))
        }
        let batch = events.map { event in
            JSONValue.object([
                "channel": .string(event.channel), "name": .string(LogPartEvent.eventName),
                "data": .string(dataString(event)),
            ])
        }
        return ("/apps/\(appID)/batch_events", bodyData(.object(["batch": .array(batch)])))
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
