import Foundation
import LogsCore
import LogsTransport

/// The travis-logs HTTP API on a `Pipeline`: the routes of the original service, plus a live
/// stream, Prometheus metrics and an OpenAPI document.
///
/// Routes that read or write `log_parts` return 503 with `Retry-After` while the maintenance
/// switch is on. Bad input gets a 4xx status with `{"error": "..."}` saying what was wrong.
public struct LogsAPI: Sendable {
    /// Settings of the API beside the pipeline's.
    public struct Settings: Sendable {
        /// The version string `GET /uptime` reports.
        public var version: String
        /// The body limit of `PUT /logs/:job_id` and `POST /logs/multi`, in bytes.
        public var maximumLogBodySize: Int
        /// The body limit of the part routes and the Pusher webhook, in bytes.
        public var maximumPartBodySize: Int
        /// How often a stream without events sends an SSE comment, so that a client that has gone
        /// away is noticed.
        public var streamHeartbeat: Duration
        /// The maximum bytes of rendered `GET /logs/:id` responses kept for logs whose row has not
        /// changed, where 0 keeps none. Only stores with row versions, such as PostgreSQL, use it.
        public var renderedLogCacheSize: Int

        public init(
            version: String = "", maximumLogBodySize: Int = 10 << 20, maximumPartBodySize: Int = 1 << 20,
            streamHeartbeat: Duration = .seconds(15), renderedLogCacheSize: Int = 32 << 20
        ) {
            self.version = version
            self.maximumLogBodySize = maximumLogBodySize
            self.maximumPartBodySize = maximumPartBodySize
            self.streamHeartbeat = streamHeartbeat
            self.renderedLogCacheSize = renderedLogCacheSize
        }
    }

    let pipeline: Pipeline
    let authenticator: Authenticator
    let liveEvents: (any LiveEventSource)?
    let webhookVerifier: PusherWebhookVerifier?
    let settings: Settings
    let bootTime: Date
    /// Queues the parts of concurrent `PUT /log-parts/:job_id/:number` requests in one call.
    let partBatcher: PartBatcher
    /// Rendered `GET /logs/:id` bodies with the row versions they came from.
    let renderedLogs: RenderedLogCache
    /// Runs of failed reads, so that a monitor polling `GET /uptime` during an outage logs one line.
    let failureRuns = FailureRuns()

    /// - Parameters:
    ///   - authenticator: checks `Authorization` headers; see `Authenticator`.
    ///   - liveEvents: the source of the stream endpoint; when nil, the pipeline's live stream is used
    ///     if it is an `InMemoryLiveStream`, and the endpoint returns 501 otherwise.
    ///   - webhookVerifier: checks Pusher webhooks; when nil, `POST /pusher/existence` returns 401.
    public init(
        pipeline: Pipeline, authenticator: Authenticator, liveEvents: (any LiveEventSource)? = nil,
        webhookVerifier: PusherWebhookVerifier? = nil, settings: Settings = Settings()
    ) {
        self.pipeline = pipeline
        self.authenticator = authenticator
        self.liveEvents = liveEvents ?? (pipeline.liveStream as? InMemoryLiveStream)
        self.webhookVerifier = webhookVerifier
        self.settings = settings
        self.bootTime = pipeline.clock.now()
        self.partBatcher = PartBatcher(pipeline: pipeline)
        self.renderedLogs = RenderedLogCache(maximumBytes: settings.renderedLogCacheSize)
    }

    /// Builds the API from the pipeline's configuration: `AUTH_TOKEN`, `JWT_RSA_PUBLIC_KEY` and the
    /// Pusher key and secret.
    ///
    /// - Throws: `HTTPError` with code `.invalidConfiguration` when `JWT_RSA_PUBLIC_KEY` is set but
    ///   is not a PEM RSA public key.
    public static func configured(
        pipeline: Pipeline, liveEvents: (any LiveEventSource)? = nil, settings: Settings = Settings()
    ) throws -> LogsAPI {
        let configuration = pipeline.configuration
        var verifier: JWTVerifier?
        if let pem = configuration.jwtRSAPublicKey, !pem.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard let parsed = JWTVerifier(publicKeyPEM: pem, clock: pipeline.clock) else {
                throw HTTPError(
                    code: .invalidConfiguration,
                    message: "JWT_RSA_PUBLIC_KEY is not a PEM RSA public key (-----BEGIN PUBLIC KEY-----)")
            }
            verifier = parsed
        }
        let pusher = configuration.pusher
        let webhooks =
            pusher.secret.isEmpty ? nil : PusherWebhookVerifier(settings: pusher, clock: pipeline.clock)
        return LogsAPI(
            pipeline: pipeline, authenticator: Authenticator(authToken: configuration.authToken, jwtVerifier: verifier),
            liveEvents: liveEvents, webhookVerifier: webhooks, settings: settings)
    }

    /// Returns a router with every route of the API.
    public func makeRouter() -> Router {
        var router = Router(defaultMaximumBodySize: settings.maximumPartBodySize)
        addServiceRoutes(to: &router)
        addLogRoutes(to: &router)
        addLogPartRoutes(to: &router)
        addStreamRoute(to: &router)
        let document = OpenAPIDocument.make(version: settings.version).jsonData()
        router.addImmediate("GET", "/openapi.json") { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: .data(document))
        }
        return router
    }

    /// Throws the maintenance 503 while the switch is on.
    func checkMaintenance() async throws {
        try await pipeline.maintenance.checkAvailable()
    }
}
