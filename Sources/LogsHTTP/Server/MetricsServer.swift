import Foundation
import LogsCore

extension Router {
    /// Registers `GET /metrics`, which returns `metrics` in Prometheus text format.
    public mutating func addMetricsRoute(_ metrics: MetricsRegistry) {
        addImmediate("GET", "/metrics") { _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": MetricsRegistry.prometheusContentType],
                body: .data(Data(metrics.renderPrometheus().utf8)))
        }
    }
}

extension HTTPServer {
    /// Returns a server, not yet started, with `GET /metrics` as its only route: the
    /// `--metrics-port` endpoint of processes that serve no API.
    public static func metricsOnly(
        metrics: MetricsRegistry, bindAddress: String, port: Int, logger: Logger
    ) -> HTTPServer {
        var router = Router()
        router.addMetricsRoute(metrics)
        var configuration = HTTPServerConfiguration()
        configuration.bindAddress = bindAddress
        configuration.port = port
        configuration.threadCount = 1
        return HTTPServer(router: router, configuration: configuration, logger: logger, metrics: metrics)
    }
}
