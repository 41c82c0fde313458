import CommandLineSupport
import Foundation
import LogsCore
import LogsHTTP
import LogsStorage
import LogsTransport

/// `travis-logs dev`: the API, the workers of every queue, the sweeper and the live stream in one
/// process, with no outside service.
///
/// Logs, parts and the job queues are in `<directory>/logs.sqlite3`, archives in
/// `<directory>/archive/jobs/<job_id>/log.txt`. Jobs taken by a process that died go back to their
/// queues at the next start, and the sweeper finds stored parts whose aggregation was missed, so
/// nothing sent before a crash is lost. The drain joins in when `RABBITMQ_URL` is set.
enum DevCommand {
    /// Runs until SIGTERM or SIGINT, then exits 0; exits 2 when it cannot start.
    static func run(_ options: ServiceOptions) -> Never {
        let environment = ProcessInfo.processInfo.environment
        let failure = ProcessSupport.runUntilStopped { stopRequests in
            let dev: DevComponents
            do {
                dev = try await DevComponents.open(options: options, environment: environment)
            } catch {
                CommandLineTool.fail("dev cannot start: \(error)")
            }
            try await serve(dev, options: options, environment: environment, stopRequests: stopRequests)
        }
        if let failure { CommandLineTool.fail("dev failed: \(failure)") }
        exit(0)
    }

    private static func serve(
        _ dev: DevComponents, options: ServiceOptions, environment: [String: String], stopRequests: AsyncStream<Void>
    ) async throws {
        let pipeline = dev.pipeline
        var configuration = HTTPServerConfiguration()
        configuration.bindAddress = ProcessSupport.bindAddress(environment, fallback: "127.0.0.1")
        configuration.port = options.port ?? pipeline.configuration.port
        let api = try LogsAPI.configured(
            pipeline: pipeline, settings: LogsAPI.Settings(version: CommandLineTool.version))
        let server = HTTPServer(
            router: api.makeRouter(), configuration: configuration, logger: pipeline.logger, metrics: pipeline.metrics)
        // Dev listens on its own default address and keeps everything in SQLite, so the start line
        // shows those in place of the configuration's BIND_ADDRESS default and DATABASE_URL.
        ProcessSupport.logStart(
            pipeline.logger, process: "dev", configuration: pipeline.configuration,
            overrides: [
                "bind_address": "\(configuration.bindAddress)", "port": "\(configuration.port)",
                "database_url": "not used: SQLite at \(dev.directory.appendingPathComponent("logs.sqlite3").path)",
            ])
        let drain: LogDrain?
        do {
            drain = try dev.makeDrain()
            try server.start()
        } catch {
            await dev.close()
            throw error
        }
        printBanner(dev, address: configuration.bindAddress, port: server.port)

        let runner = pipeline.makeJobRunner()
        let sweeper = pipeline.sweeper
        let working = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await runner.run(queues: JobPayload.Queue.all.map { WeightedQueue($0) }, concurrency: 5)
                }
                group.addTask { await sweeper.run() }
                if let drain { group.addTask { await drain.run() } }
            }
        }
        await ProcessSupport.waitForStop(stopRequests)

        pipeline.logger.info("dev stopping")
        await server.shutdown()
        drain?.stop()
        runner.stop()
        working.cancel()
        await working.value
        await dev.close()
        pipeline.logger.info("dev stopped")
    }

    /// Prints where the API listens and its token on standard output. This is the one place a
    /// token is printed, because the user needs it to call the API; AUTH_TOKEN is not repeated.
    private static func printBanner(_ dev: DevComponents, address: String, port: Int) {
        let host = address == "0.0.0.0" ? "127.0.0.1" : address
        var lines = ["travis-logs dev is running at http://\(host):\(port)"]
        if let generated = dev.generatedToken {
            lines.append("token: \(generated)  (generated for this run; set AUTH_TOKEN to choose one)")
        } else {
            lines.append("token: the value of AUTH_TOKEN")
        }
        lines.append("data: \(dev.directory.path)")
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// The store, queue and archive of `travis-logs dev`, and the pipeline on them.
struct DevComponents {
    var pipeline: Pipeline
    var store: SQLitePartStore
    var queue: SQLiteJobQueue
    var directory: URL
    /// The token made at start when AUTH_TOKEN is unset.
    var generatedToken: String?

    /// Opens the data folder, creating it when missing, and builds the pipeline on it.
    ///
    /// - Throws: `ConfigurationError`, `FileArchiveError`, or `SQLiteError` (code `.busy` when
    ///   another dev process uses the folder).
    static func open(options: ServiceOptions, environment: [String: String]) async throws -> DevComponents {
        var configuration = try DevSettings.configuration(environment: environment)
        var generatedToken: String?
        if configuration.authToken == nil {
            generatedToken = DevSettings.makeToken()
            configuration.authToken = generatedToken
        }
        var logger = Logger(label: "travis-logs.dev")
        logger.logLevel = configuration.logLevel

        let directory = URL(fileURLWithPath: options.directory ?? DevSettings.defaultDirectory).standardizedFileURL
        let archive = try FileArchive(directory: directory.appendingPathComponent("archive"))
        let databasePath = directory.appendingPathComponent("logs.sqlite3").path
        let store = try await SQLitePartStore(path: databasePath)
        let queue: SQLiteJobQueue
        do {
            queue = try await SQLiteJobQueue(path: databasePath)
        } catch {
            await store.close()
            throw error
        }
        let clock = SystemClock()
        let pipeline = Pipeline(
            store: store, archive: archive, queue: queue, pusher: nil, liveStream: InMemoryLiveStream(),
            presence: InMemoryChannelPresence(clock: clock), maintenance: InMemoryMaintenanceSwitch(clock: clock),
            lock: InMemoryLock(clock: clock),
            logIDCache: InMemoryLogIDCache(capacity: max(1, configuration.logs.cacheSizeBytes / 64)),
            ignoredIDs: InMemoryIgnoredIDs(), clock: clock, configuration: configuration, logger: logger,
            metrics: MetricsRegistry())
        return DevComponents(
            pipeline: pipeline, store: store, queue: queue, directory: directory, generatedToken: generatedToken)
    }

    /// Returns the drain on this process's queue when `RABBITMQ_URL` is set, else nil.
    ///
    /// - Throws: `AMQPError` with code `.invalidURL`.
    func makeDrain() throws -> LogDrain? {
        let configuration = pipeline.configuration
        guard configuration.isRabbitMQConfigured else { return nil }
        return LogDrain(
            endpoint: try AMQPEndpoint(url: configuration.rabbitmqURL), queue: queue,
            settings: DrainSettings(configuration: configuration), logger: pipeline.logger, metrics: pipeline.metrics)
    }

    func close() async {
        await queue.close()
        await store.close()
    }
}
