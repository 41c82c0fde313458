import Foundation
import LogsCore
import Synchronization

/// The part of the server that libmicrohttpd's callbacks reach through their context pointer.
///
/// `HTTPServer` keeps it alive until `MHD_stop_daemon` has returned, so the callbacks may use an
/// unretained reference.
final class ServerCore: Sendable {
    let router: Router
    let configuration: HTTPServerConfiguration
    let logger: Logger
    let metrics: MetricsRegistry
    private let inFlight = Mutex(0)
    private let streams = Mutex<[ObjectIdentifier: ResponseStream]>([:])
    private let isStopping = Atomic(false)
    private let handling = Mutex<[ObjectIdentifier: PendingHandler]>([:])
    /// The access counter and histogram of each method, route pattern and status seen. Looking them
    /// up by labels in the registry took about 5% of the CPU time of a part PUT (perf on a release
    /// build).
    private let accessMetrics = Mutex<[AccessMetricsKey: AccessMetrics]>([:])
    /// Runs of requests that failed with an unexpected error, counted per method and route, so
    /// that an outage such as PostgreSQL being down logs one error line per route, not one per
    /// request.
    private let failureRuns = FailureRuns()

    private struct AccessMetricsKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct AccessMetrics {
        let requests: Counter
        let duration: Histogram
    }

    /// A suspended request whose handler runs.
    private struct PendingHandler: Sendable {
        let state: RequestState
        let connection: ConnectionHandle
        let deadline: ContinuousClock.Instant
        var task: Task<Void, Never>?
    }

    init(router: Router, configuration: HTTPServerConfiguration, logger: Logger, metrics: MetricsRegistry) {
        self.router = router
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    var inFlightCount: Int { inFlight.withLock { $0 } }

    func requestStarted() {
        inFlight.withLock { $0 += 1 }
    }

    func requestCompleted(_ state: RequestState, terminatedNormally: Bool) {
        inFlight.withLock { $0 -= 1 }
        let status = state.mutable.withLock { $0.status }
        let duration = ContinuousClock.now - state.startedAt
        recordAccess(state, status: status, duration: duration, terminatedNormally: terminatedNormally)
    }

    func register(_ stream: ResponseStream) {
        streams.withLock { $0[ObjectIdentifier(stream)] = stream }
        if isStopping.load(ordering: .acquiring) { stream.finish() }
    }

    func unregister(_ stream: ResponseStream) {
        _ = streams.withLock { $0.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    /// Ends every open stream, so their requests complete.
    func finishStreams() {
        isStopping.store(true, ordering: .releasing)
        let open = streams.withLock { Array($0.values) }
        for stream in open { stream.finish() }
    }

    /// Runs a route handler and turns its errors into responses.
    ///
    /// A handler that returns ends the run of failures of its method and route, which
    /// `response(for:request:route:)` counts.
    func respond(using handler: @escaping Router.Handler, to request: HTTPRequest, route: String) async
        -> HTTPResponse
    {
        do {
            let response = try await handler(request)
            failureRuns.logRecovery(
                "\(request.method) \(route)", to: logger, "requests work again", countName: "failed_requests",
                metadata: ["method": "\(request.method)", "route": "\(route)"])
            return response
        } catch {
            return response(for: error, request: request, route: route)
        }
    }

    /// Starts a handler for a suspended request, and registers it with the watchdog that answers
    /// 503 when the handler outlives `requestTimeout`.
    func startHandler(
        _ handler: @escaping Router.Handler, request: HTTPRequest, state: RequestState, connection: ConnectionHandle
    ) {
        let key = registerPending(state, connection: connection)
        runPendingHandler(key, handler: handler, request: request, route: state.routePattern)
    }

    /// Registers a suspended request with the watchdog, and returns the key that completes it.
    func registerPending(_ state: RequestState, connection: ConnectionHandle) -> ObjectIdentifier {
        let deadline = ContinuousClock.now + configuration.requestTimeout
        let key = ObjectIdentifier(state)
        handling.withLock { $0[key] = PendingHandler(state: state, connection: connection, deadline: deadline) }
        return key
    }

    /// Runs a handler in a task for a registered suspended request.
    func runPendingHandler(
        _ key: ObjectIdentifier, handler: @escaping Router.Handler, request: HTTPRequest, route: String
    ) {
        let task = Task {
            let response = await self.respond(using: handler, to: request, route: route)
            self.finishHandler(key, response: response)
        }
        handling.withLock { $0[key]?.task = task }
    }

    /// Stores the response of a suspended request and resumes its connection, unless the watchdog
    /// has answered it already.
    func finishHandler(_ key: ObjectIdentifier, response: HTTPResponse) {
        guard let pending = handling.withLock({ $0.removeValue(forKey: key) }) else { return }
        pending.state.mutable.withLock { $0.response = response }
        pending.connection.resume()
    }

    /// Resumes a suspended request so that libmicrohttpd's thread starts the route's handler for
    /// it, unless the watchdog has already responded to it.
    func resumeToStartHandler(_ key: ObjectIdentifier) {
        guard let pending = handling.withLock({ $0.removeValue(forKey: key) }) else { return }
        pending.state.mutable.withLock { $0.startsHandlerOnResume = true }
        pending.connection.resume()
    }

    /// Answers 503 for every suspended request past its deadline and cancels its handler.
    func expireHandlers(now: ContinuousClock.Instant) {
        let expired = handling.withLock { handling in
            let keys = handling.filter { $0.value.deadline <= now }.map(\.key)
            return keys.compactMap { handling.removeValue(forKey: $0) }
        }
        let seconds = configuration.requestTimeout.timeInterval
        for pending in expired {
            pending.task?.cancel()
            logger.warning(
                "request handler timed out",
                metadata: ["route": "\(pending.state.routePattern)", "timeout_s": "\(seconds)"])
            pending.state.mutable.withLock {
                $0.response = .error(503, "the request timed out after \(seconds) s; retry later")
            }
            pending.connection.resume()
        }
    }

    /// Runs `expireHandlers` until cancelled, at a quarter of the request timeout but at least
    /// every second.
    func runWatchdog() async {
        let interval = min(.seconds(1), configuration.requestTimeout / 4)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            expireHandlers(now: .now)
        }
    }

    /// Turns a handler's error into a response. An unexpected error gets a 500 response and is logged at
    /// error level when it starts a run of failures of the request's method and route, and at
    /// debug level while the run lasts.
    func response(for error: any Error, request: HTTPRequest, route: String) -> HTTPResponse {
        if let error = error as? HTTPError {
            return .error(error.status, error.message, headers: error.headers)
        }
        if let error = error as? LogsError, error.code == .underMaintenance {
            return Self.maintenanceResponse(retryAfter: error.retryAfter)
        }
        if error is CancellationError {
            // The watchdog cancelled a handler that timed out and has answered for it.
            return .error(503, "the request was cancelled")
        }
        failureRuns.logFailure(
            "\(request.method) \(route)", to: logger, level: .error,
            "request failed; logging again once this route works", repeatMessage: "request failed again",
            metadata: [
                "method": "\(request.method)", "route": "\(route)", "path": "\(request.path)", "error": "\(error)",
            ])
        return .error(500, "internal error; the server log has the details")
    }

    /// 503 with `Retry-After` in whole seconds, at least 1.
    static func maintenanceResponse(retryAfter: Duration?) -> HTTPResponse {
        let seconds = max(1, Int((retryAfter?.timeInterval ?? 60).rounded(.up)))
        return .error(
            503, "log parts are under maintenance; retry after \(seconds) s", headers: ["Retry-After": "\(seconds)"])
    }

    /// Methods counted under their own label; others count as `other`, so clients cannot grow the
    /// number of series without bound.
    private static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    private func recordAccess(_ state: RequestState, status: Int, duration: Duration, terminatedNormally: Bool) {
        let route = state.routePattern
        let method = Self.knownMethods.contains(state.method) ? state.method : "other"
        let seconds = duration.timeInterval
        if logger.logLevel <= .info {
            var metadata: Logger.Metadata = [
                "method": "\(state.method)", "route": "\(route)", "status": "\(status)",
                "duration_ms": "\(String(format: "%.2f", seconds * 1000))",
            ]
            if let jobID = state.jobID { metadata["job_id"] = "\(jobID)" }
            if !terminatedNormally { metadata["aborted"] = "true" }
            logger.info("request", metadata: metadata)
        }
        let access = accessMetrics(for: AccessMetricsKey(method: method, route: route, status: status))
        access.requests.increment()
        access.duration.observe(seconds)
    }

    private func accessMetrics(for key: AccessMetricsKey) -> AccessMetrics {
        if let known = accessMetrics.withLock({ $0[key] }) { return known }
        let created = AccessMetrics(
            requests: metrics.counter(
                "travis_logs_http_requests_total",
                labels: ["method": key.method, "route": key.route, "status": "\(key.status)"],
                help: "HTTP requests by method, route pattern and status."),
            duration: metrics.histogram(
                "travis_logs_http_request_duration_seconds", labels: ["route": key.route],
                help: "Time from the request's headers to the end of its response."))
        accessMetrics.withLock { $0[key] = created }
        return created
    }
}
