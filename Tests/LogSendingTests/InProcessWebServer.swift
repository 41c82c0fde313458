import Foundation
import LogsCore
import LogsHTTP

/// The LogsHTTP API on an in-memory pipeline, served on a loopback port the kernel picks.
final class InProcessWebServer: Sendable {
    static let authToken = "test-token"

    let pipeline: Pipeline
    let server: HTTPServer

    var queue: InMemoryJobQueue { pipeline.queue as! InMemoryJobQueue }
    var maintenance: InMemoryMaintenanceSwitch { pipeline.maintenance as! InMemoryMaintenanceSwitch }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(server.port)")! }

    convenience init(publicKeyPEM: String? = nil) throws {
        var configuration = LogsConfiguration.defaults
        configuration.authToken = Self.authToken
        configuration.jwtRSAPublicKey = publicKeyPEM
        let logger = Logger(label: "send-test") { _ in RecordingLogHandler() }
        try self.init(pipeline: Pipeline.inMemory(configuration: configuration, logger: logger), port: 0)
    }

    /// Serves an existing pipeline, for example to restart the API on the same port and data.
    init(pipeline: Pipeline, port: Int) throws {
        self.pipeline = pipeline
        let api = try LogsAPI.configured(pipeline: pipeline, settings: LogsAPI.Settings())
        var settings = HTTPServerConfiguration()
        settings.port = port
        settings.bindAddress = "127.0.0.1"
        settings.threadCount = 2
        server = HTTPServer(
            router: api.makeRouter(), configuration: settings, logger: pipeline.logger, metrics: pipeline.metrics)
        try server.start()
    }

    func receivedParts(jobID: JobID) async throws -> ReceivedParts {
        try ReceivedParts(jobs: await queue.jobs(in: JobPayload.Queue.logParts), jobID: jobID)
    }

    func stop() async {
        await server.shutdown()
    }
}
