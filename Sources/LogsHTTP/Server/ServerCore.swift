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

    /// Runs a route handler with the request timeout and turns errors into responses.
    func respond(using handler: @escaping Router.Handler, to request: HTTPRequest) async -> HTTPResponse {
        let timeout = configuration.requestTimeout
        do {
            return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
                group.addTask { try await handler(request) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                if let response = try await group.next() ?? nil { return response }
                return .error(503, "the request timed out after \(timeout.timeInterval) s; retry later")
            }
        } catch {
            return response(for: error, request: request)
        }
    }

    func response(for error: any Error, request: HTTPRequest) -> HTTPResponse {
        if let error = error as? HTTPError {
            return .error(error.status, error.message, headers: error.headers)
        }
        if let error = error as? LogsError, error.code == .underMaintenance {
            return Self.maintenanceResponse(retryAfter: error.retryAfter)
        }
        logger.error(
            "request failed", metadata: ["method": "\(request.method)", "path": "\(request.path)", "error": "\(error)"])
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
        var metadata: Logger.Metadata = [
            "method": "\(state.method)", "route": "\(route)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.2f", seconds * 1000))",
        ]
        if let jobID = state.jobID { metadata["job_id"] = "\(jobID)" }
        if !terminatedNormally { metadata["aborted"] = "true" }
        logger.info("request", metadata: metadata)
        metrics.counter(
            "travis_logs_http_requests_total", labels: ["method": method, "route": route, "status": "\(status)"],
            help: "HTTP requests by method, route pattern and status."
        ).increment()
        metrics.histogram(
            "travis_logs_http_request_duration_seconds", labels: ["route": route],
            help: "Time from the request's headers to the end of its response."
        ).observe(seconds)
    }
}
