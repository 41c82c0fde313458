internal import CMicroHTTPD
import Foundation
import Glibc
import LogsCore
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd that sends requests to a `Router`.
///
/// libmicrohttpd runs `threadCount` threads, each with its own epoll set, and handles keep-alive,
/// chunked bodies and idle timeouts. A handler that awaits suspends its connection and resumes it
/// when the response is ready, so no thread waits for it. Streamed bodies do the same between
/// writes. Each request is logged once, when it completes, with its method, route pattern,
/// status, duration and job id (never its headers or body), and counted in `metrics`.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let daemon = Mutex<DaemonHandle?>(nil)
    private let watchdog = Mutex<Task<Void, Never>?>(nil)
    private let boundPort = Atomic<Int>(0)

    public init(
        router: Router, configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        logger: Logger = Logger(label: "travis-logs.http"), metrics: MetricsRegistry = MetricsRegistry()
    ) {
        core = ServerCore(router: router, configuration: configuration, logger: logger, metrics: metrics)
    }

    /// The port the server listens on, known after `start()`.
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Starts listening.
    ///
    /// - Throws: `HTTPError` with code `.invalidConfiguration` for a bind address that is not IPv4,
    ///   or `.startFailed` when libmicrohttpd cannot start, for example because the port is taken.
    public func start() throws {
        let configuration = core.configuration
        var address = try Self.socketAddress(configuration.bindAddress, port: configuration.port)
        let context = Unmanaged.passUnretained(core).toOpaque()
        let started = withUnsafeMutablePointer(to: &address) { addressPointer in
            let options = [
                MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: UnsafeMutableRawPointer(addressPointer)),
                MHD_OptionItem(
                    option: .THREAD_POOL_SIZE, value: max(1, configuration.threadCount), ptr_value: nil),
                MHD_OptionItem(
                    option: .CONNECTION_TIMEOUT, value: Int(configuration.connectionTimeout.timeInterval),
                    ptr_value: nil),
                MHD_OptionItem(
                    option: .NOTIFY_COMPLETED,
                    value: unsafeBitCast(completeRequest as MHD_RequestCompletedCallback, to: Int.self),
                    ptr_value: context),
                MHD_OptionItem(
                    option: .URI_LOG_CALLBACK,
                    value: unsafeBitCast(inspectRequestTarget as URILogCallback, to: Int.self), ptr_value: context),
                MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
            ]
            let flags =
                MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
                | MHD_USE_ITC.rawValue
            return travis_mhd_start_daemon(
                flags, UInt16(configuration.port), nil, nil, handleConnection, context, options)
        }
        guard let started else {
            throw HTTPError(
                code: .startFailed,
                message: "libmicrohttpd could not listen on \(configuration.bindAddress):\(configuration.port); "
                    + "is the port taken?")
        }
        if let info = travis_mhd_get_daemon_info(started, .DAEMON_INFO_BIND_PORT) {
            boundPort.store(Int(info.pointee.port), ordering: .releasing)
        }
        daemon.withLock { $0 = DaemonHandle(pointer: started) }
        let core = self.core
        watchdog.withLock { $0 = Task { await core.runWatchdog() } }
        core.logger.info(
            "HTTP server listening",
            metadata: [
                "address": "\(configuration.bindAddress)", "port": "\(port)", "threads": "\(configuration.threadCount)",
            ])
    }

    /// Stops the server: stops accepting connections, waits up to `shutdownTimeout` for requests
    /// in progress, ends open streams, and closes every connection.
    public func shutdown() async {
        guard let handle = daemon.withLock({ $0 }) else { return }
        // libmicrohttpd hands the listening socket back; it may be closed only after the daemon's
        // threads have stopped.
        let listener = MHD_quiesce_daemon(handle.pointer)
        core.finishStreams()
        let deadline = ContinuousClock.now + core.configuration.shutdownTimeout
        while core.inFlightCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if core.inFlightCount > 0 {
            core.logger.warning(
                "closing connections with requests still in progress", metadata: ["requests": "\(core.inFlightCount)"])
        }
        daemon.withLock { $0 = nil }
        watchdog.withLock { $0 }?.cancel()
        MHD_stop_daemon(handle.pointer)
        if listener >= 0 { close(listener) }
        core.logger.info("HTTP server stopped")
    }

    private static func socketAddress(_ host: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard (0...65535).contains(port) else {
            throw HTTPError(code: .invalidConfiguration, message: "port \(port) is not between 0 and 65535")
        }
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw HTTPError(
                code: .invalidConfiguration, message: "bind address \"\(host)\" is not an IPv4 address such as 0.0.0.0")
        }
        return address
    }
}

/// The type of `MHD_OPTION_URI_LOG_CALLBACK`'s function, which microhttpd.h gives no name.
private typealias URILogCallback =
    @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer?

/// The daemon pointer.
///
/// `@unchecked Sendable`: libmicrohttpd's daemon functions used here (`MHD_quiesce_daemon`,
/// `MHD_stop_daemon`, `MHD_get_daemon_info`) may be called from any thread, and `HTTPServer`
/// stops the daemon once.
private struct DaemonHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
