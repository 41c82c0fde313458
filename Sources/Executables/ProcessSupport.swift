import CommandLineSupport
import Dispatch
import Foundation
import LogsCore
import LogsHTTP

/// Steps every long-running subcommand shares: the start line, the metrics endpoint, and
/// waiting for SIGTERM or SIGINT.
enum ProcessSupport {
    /// Logs the start of a process with its version and effective settings, secrets masked.
    /// Logs the start line of `process`, with `overrides` in place of settings the process does not
    /// take from the configuration.
    static func logStart(
        _ logger: Logger, process: String, configuration: LogsConfiguration, overrides: Logger.Metadata = [:]
    ) {
        let metadata = StartupReport.metadata(version: CommandLineTool.version, configuration: configuration)
        logger.info("\(process) starting", metadata: metadata.merging(overrides) { $1 })
    }

    /// Returns the address that servers of this process listen on: `BIND_ADDRESS` when set, else
    /// `fallback`.
    static func bindAddress(_ environment: [String: String], fallback: String) -> String {
        guard let address = environment["BIND_ADDRESS"], !address.isEmpty else { return fallback }
        return address
    }

    /// Starts `GET /metrics` on `port` at `BIND_ADDRESS`, else 127.0.0.1, when a port is given.
    ///
    /// - Throws: `HTTPError` when the server cannot start, for example because the port is taken.
    static func startMetricsServer(
        port: Int?, metrics: MetricsRegistry, environment: [String: String], logger: Logger
    ) throws -> HTTPServer? {
        guard let port else { return nil }
        let server = HTTPServer.metricsOnly(
            metrics: metrics, bindAddress: bindAddress(environment, fallback: "127.0.0.1"), port: port,
            logger: logger)
        try server.start()
        return server
    }

    /// Runs `body` on a task with a stream that yields once on SIGTERM or SIGINT, and blocks this
    /// thread until it returns.
    ///
    /// - Returns: the error `body` threw, described, or nil.
    static func runUntilStopped(_ body: @escaping @Sendable (AsyncStream<Void>) async throws -> Void) -> String? {
        let (stopRequests, requestStop) = AsyncStream.makeStream(of: Void.self)
        let signals = WorkerCommand.trapStopSignals { requestStop.yield() }
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do {
                try await body(stopRequests)
            } catch {
                failure.message = "\(error)"
            }
            done.signal()
        }
        done.wait()
        withExtendedLifetime(signals) {}
        return failure.message
    }

    /// Returns once the stream yields or ends.
    static func waitForStop(_ stopRequests: AsyncStream<Void>) async {
        for await _ in stopRequests { return }
    }

    /// The error of the task, read after it has signalled.
    ///
    /// `@unchecked Sendable`: the task writes `message` before signalling the semaphore, and the
    /// main thread reads it only after waiting on it.
    private final class FailureBox: @unchecked Sendable {
        var message: String?
    }
}
