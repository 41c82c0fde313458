import Dispatch
import Foundation
import LogsCore
import LogsHTTP
import LogsStorage
import LogsTransport

/// `travis-logs web`: the HTTP API.
///
/// Logs and parts are stored in PostgreSQL through `DATABASE_URL`. The pipeline gets the S3 archive
/// when `TRAVIS_S3_ACCESS_KEY_ID` is set and Pusher when `TRAVIS_PUSHER_APP_ID` is, though of the
/// two only Pusher is used here, by the forwarding jobs.
/// `BIND_ADDRESS` (default `0.0.0.0`) and `PORT` (default 5555) choose where it listens. SIGTERM
/// or SIGINT stops accepting connections, lets requests in progress finish, and exits 0.
enum WebCommand {
    static func main() -> Never {
        Task {
            let status = await run(environment: ProcessInfo.processInfo.environment)
            exit(status)
        }
        dispatchMain()
    }

    static func run(environment: [String: String]) async -> Int32 {
        var logger = Logger(label: "travis-logs.web")
        do {
            let configuration = try LogsConfiguration(environment: environment)
            logger.logLevel = configuration.logLevel
            let (pipeline, store) = try makePipeline(configuration: configuration, logger: logger)
            var server = HTTPServerConfiguration()
            server.port = configuration.port
            server.bindAddress = environment["BIND_ADDRESS"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
            try await serve(pipeline: pipeline, server: server, version: CommandLineTool.version)
            await store.client.close()
            return 0
        } catch {
            logger.critical("web failed to start or serve", metadata: ["error": "\(error)"])
            return 1
        }
    }

    /// Serves the API on `pipeline` until SIGTERM or SIGINT, then shuts the server down.
    ///
    /// While the job queue is in this process, it also runs the `log_parts` and
    /// `logs.pusher_forwarding` jobs that the API enqueues, so parts reach the store and the
    /// stream endpoint.
    static func serve(pipeline: Pipeline, server configuration: HTTPServerConfiguration, version: String) async throws {
        let api = try LogsAPI.configured(pipeline: pipeline, settings: LogsAPI.Settings(version: version))
        let server = HTTPServer(
            router: api.makeRouter(), configuration: configuration, logger: pipeline.logger, metrics: pipeline.metrics)
        try server.start()
        let runner = pipeline.queue is InMemoryJobQueue ? pipeline.makeJobRunner() : nil
        let jobs = Task {
            await runner?.run(
                queues: [WeightedQueue(JobPayload.Queue.logParts), WeightedQueue(JobPayload.Queue.pusherForwarding)],
                concurrency: 2)
        }
        let signal = await waitForTermination()
        pipeline.logger.info("stopping on signal", metadata: ["signal": "\(signal)"])
        await server.shutdown()
        runner?.stop()
        await jobs.value
    }

    /// Builds the pipeline from the configuration with the production implementations that exist.
    ///
    /// - Returns: the pipeline and its PostgreSQL store, which the caller closes.
    static func makePipeline(configuration: LogsConfiguration, logger: Logger) throws -> (Pipeline, PostgresPartStore) {
        let metrics = MetricsRegistry()
        let clock = SystemClock()
        let store = PostgresPartStore(
            configuration: PostgresConfiguration(
                configuration: configuration, applicationName: "travis-logs-web",
                statementTimeout: PostgresConfiguration.webStatementTimeout),
            logger: logger)
        var pipeline = Pipeline.inMemory(configuration: configuration, clock: clock, logger: logger, metrics: metrics)
        pipeline.store = store
        if !configuration.s3.accessKeyID.isEmpty {
            pipeline.archive = try S3Archive(settings: configuration.s3, clock: clock, logger: logger)
        }
        if !configuration.pusher.appID.isEmpty {
            pipeline.pusher = try PusherBroadcaster(
                settings: configuration.pusher, clock: clock, logger: logger, metrics: metrics)
        }
        // TODO: the job queue, channel presence, maintenance switch, lock, log id cache and ignored
        // ids stay in memory until their Redis implementations exist, so this process runs its own
        // jobs and shares no state with other processes.
        return (pipeline, store)
    }

    /// Waits for SIGTERM or SIGINT and returns its number.
    private static func waitForTermination() async -> Int32 {
        await withCheckedContinuation { continuation in
            let once = SignalOnce(continuation)
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { once.resume(number) }
                source.resume()
                once.keep(source)
            }
        }
    }
}

/// Resumes a continuation for the first signal only and keeps the signal sources alive.
///
/// `@unchecked Sendable`: both fields are only touched while `lock` is held.
private final class SignalOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Int32, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Int32, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    func resume(_ number: Int32) {
        let pending = lock.withLock {
            let pending = continuation
            continuation = nil
            return pending
        }
        pending?.resume(returning: number)
    }
}
